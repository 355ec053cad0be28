/** Clinics: the demo/dev clinic factory and the /me view. */
import type { Kysely } from 'kysely';
import type { Agent, Campaign, Me } from '../../contract';
import type { ClinicRow, Database } from '../db/schema';
import { compiledOnce } from '../db/compiled-query';
import { notFound } from '../errors';
import { createApiKey } from './api-keys';
import { iso, isoOrNull, toAgent, toCampaign } from './serialize';

export interface NewClinic {
  clinic: { id: string; name: string; timezone: string };
  api_key: string;
  agents: Agent[];
  campaigns: Campaign[];
}

export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A ready-to-use clinic: one inbound and one outbound agent, two active campaigns, opening hours
 * Mon-Fri 09:00-17:00 clinic time in 30-minute slots, and an API key with every scope.
 */
/** Fixed ids for the outbound agent and the first campaign (else the database makes them). */
export interface ClinicIds {
  outboundAgentId?: string;
  firstCampaignId?: string;
}

export async function createClinic(db: Kysely<Database>, name: string, timezone: string, ids: ClinicIds = {}): Promise<NewClinic> {
  return db.transaction().execute(async (trx) => {
    const clinic: ClinicRow = await trx
      .insertInto('clinics')
      .values({ name, timezone, slot_minutes: 30 })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('opening_hours')
      .values([1, 2, 3, 4, 5].map((weekday) => ({ clinic_id: clinic.id, weekday, opens_at: '09:00:00', closes_at: '17:00:00' })))
      .execute();
    const agents = await trx
      .insertInto('agents')
      .values([
        { clinic_id: clinic.id, name: 'Reception (inbound)', direction: 'inbound' },
        {
          clinic_id: clinic.id,
          name: 'Follow-up caller (outbound)',
          direction: 'outbound',
          ...(ids.outboundAgentId ? { id: ids.outboundAgentId } : {}),
        },
      ])
      .returningAll()
      .execute();
    const outbound = agents.find((a) => a.direction === 'outbound');
    if (!outbound) throw new Error('a new clinic was created without its outbound agent');
    const campaigns = await trx
      .insertInto('campaigns')
      .values([
        {
          clinic_id: clinic.id,
          name: 'New patient follow-up',
          agent_id: outbound.id,
          target_country: null,
          ...(ids.firstCampaignId ? { id: ids.firstCampaignId } : {}),
        },
        { clinic_id: clinic.id, name: 'Implant consultations', agent_id: outbound.id, target_country: null },
      ])
      .returningAll()
      .execute();
    const { key } = await createApiKey(trx, clinic.id, 'Default key');
    return {
      clinic: { id: clinic.id, name: clinic.name, timezone: clinic.timezone },
      api_key: key,
      agents: agents.map(toAgent),
      campaigns: campaigns.map((c) => toCampaign({ ...c, agent_name: outbound.name, total_contacts: 0 })),
    };
  });
}

/** The key and its clinic, for GET /me: compiled once (db/compiled-query.ts), run per request. */
const selectMe = compiledOnce((db, keyId: string) =>
  db
    .selectFrom('api_keys')
    .innerJoin('clinics', 'clinics.id', 'api_keys.clinic_id')
    .select([
      'clinics.id as clinic_id',
      'clinics.name as clinic_name',
      'clinics.timezone',
      'api_keys.id',
      'api_keys.name',
      'api_keys.prefix',
      'api_keys.scopes',
      'api_keys.created_at',
      'api_keys.last_used_at',
    ])
    .where('api_keys.id', '=', keyId),
);

export async function getMe(db: Kysely<Database>, keyId: string): Promise<Me> {
  const [row] = await selectMe(db, keyId);
  if (!row) throw notFound('API key');
  return {
    clinic: { id: row.clinic_id, name: row.clinic_name, timezone: row.timezone },
    api_key: {
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      scopes: row.scopes as Me['api_key']['scopes'],
      created_at: iso(row.created_at),
      last_used_at: isoOrNull(row.last_used_at),
    },
  };
}

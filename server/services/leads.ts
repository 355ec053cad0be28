/** Leads: list/get, idempotent create-or-update on external_source + external_id, and update. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { Lead, LeadCreate, LeadListQuery, LeadUpdate } from '../../contract';
import type { Database } from '../db/schema';
import { invalidInput, notFound } from '../errors';
import { recordEvent } from '../webhooks/outbox';
import { paginate, type Page } from './pagination';
import { toLead } from './serialize';

type ListQuery = z.output<typeof LeadListQuery>;

export async function listLeads(db: Kysely<Database>, clinicId: string, q: ListQuery): Promise<Page<Lead>> {
  let query = db.selectFrom('leads').where('clinic_id', '=', clinicId);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.source) query = query.where('source', '=', q.source);
  if (q.agent_id) query = query.where('agent_id', '=', q.agent_id);
  if (q.email) query = query.where(sql<string>`lower(email)`, '=', q.email.toLowerCase());
  if (q.phone) query = query.where('phone', '=', q.phone);
  if (q.external_source) query = query.where('external_source', '=', q.external_source);
  if (q.external_id) query = query.where('external_id', '=', q.external_id);
  if (q.search) {
    const pattern = `%${q.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    query = query.where((eb) => eb.or([eb('full_name', 'ilike', pattern), eb('phone', 'ilike', pattern), eb('email', 'ilike', pattern)]));
  }
  return paginate(query, q, (qb) => qb.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), toLead);
}

export async function getLead(db: Kysely<Database>, clinicId: string, id: string): Promise<Lead> {
  const row = await db.selectFrom('leads').selectAll().where('clinic_id', '=', clinicId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Lead');
  return toLead(row);
}

/** agent_id must name an outbound agent of the same clinic; anything else is the caller's mistake. */
async function assertOutboundAgent(trx: Transaction<Database>, clinicId: string, agentId: string | null | undefined) {
  if (!agentId) return;
  const agent = await trx
    .selectFrom('agents')
    .select(['direction'])
    .where('clinic_id', '=', clinicId)
    .where('id', '=', agentId)
    .executeTakeFirst();
  if (!agent) throw invalidInput('agent_id does not name an agent of this clinic', [{ path: 'agent_id', message: 'unknown agent' }]);
  if (agent.direction !== 'outbound') {
    throw invalidInput('agent_id must be an outbound agent; inbound agents cannot be assigned leads', [
      { path: 'agent_id', message: 'agent is inbound' },
    ]);
  }
}

/** The columns a create or update body sets (present keys only; null clears). */
function leadColumns(input: Partial<LeadCreate & LeadUpdate>) {
  const columns: Record<string, unknown> = {};
  for (const key of [
    'full_name',
    'phone',
    'email',
    'country',
    'city',
    'language',
    'treatment_interest',
    'notes',
    'source',
    'agent_id',
    'status',
  ] as const) {
    if (input[key] !== undefined) columns[key] = input[key];
  }
  if (input.external_metadata !== undefined) {
    columns.external_metadata = input.external_metadata === null ? null : JSON.stringify(input.external_metadata);
  }
  return columns;
}

export interface UpsertResult {
  lead: Lead;
  created: boolean;
}

export async function createOrUpdateLead(db: Kysely<Database>, clinicId: string, input: LeadCreate): Promise<UpsertResult> {
  return db.transaction().execute(async (trx) => {
    await assertOutboundAgent(trx, clinicId, input.agent_id);
    const columns = leadColumns(input);
    const insert = trx.insertInto('leads').values({
      ...columns,
      clinic_id: clinicId,
      external_source: input.external_source ?? null,
      external_id: input.external_id ?? null,
    } as never);
    const row = await (input.external_source && input.external_id
      ? insert.onConflict((oc) =>
          oc.columns(['clinic_id', 'external_source', 'external_id']).doUpdateSet({ ...columns, updated_at: sql`now()` } as never),
        )
      : insert
    )
      .returningAll()
      .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
      .executeTakeFirstOrThrow();
    const { inserted, ...leadRow } = row;
    const lead = toLead(leadRow);
    await recordEvent(trx, clinicId, inserted ? 'lead.created' : 'lead.updated', lead);
    return { lead, created: Boolean(inserted) };
  });
}

export async function updateLead(db: Kysely<Database>, clinicId: string, id: string, patch: LeadUpdate): Promise<Lead> {
  return db.transaction().execute(async (trx) => {
    await assertOutboundAgent(trx, clinicId, patch.agent_id);
    const row = await trx
      .updateTable('leads')
      .set({ ...leadColumns(patch), updated_at: sql`now()` } as never)
      .where('clinic_id', '=', clinicId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('Lead');
    const lead = toLead(row);
    await recordEvent(trx, clinicId, 'lead.updated', lead);
    return lead;
  });
}

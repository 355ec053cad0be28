/**
 * Leads: list/get, idempotent create-or-update on external_source + external_id, and update. A
 * change records lead.updated with the changed fields' previous values; a no-op records nothing.
 */
import { sql, type ExpressionBuilder, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { Lead, LeadCreate, LeadListQuery, LeadUpdate } from '../../contract';
import { canonicalJson } from '../../contract/canonical-json';
import type { Database } from '../db/schema';
import { invalidInput, notFound } from '../errors';
import { previousAttributes, recordEvent } from '../webhooks/outbox';
import { countedTotal, countOf, cursorPage, type CursorPage } from './pagination';
import { toLead, type LeadWithAgent, type RecordLinks } from './serialize';
import { inTransaction, type Db } from './transaction';

type ListQuery = z.output<typeof LeadListQuery>;

/** Every lead is returned with its agent's name: one correlated subquery. */
const agentName = (eb: ExpressionBuilder<Database, 'leads'>) =>
  eb.selectFrom('agents').select('agents.name').whereRef('agents.id', '=', 'leads.agent_id').as('agent_name');

const LEAD_FILTERS = ['search', 'status', 'source', 'agent_id', 'email', 'phone', 'external_source', 'external_id'] as const;
const isUnfiltered = (q: ListQuery) => LEAD_FILTERS.every((filter) => q[filter] === undefined);

const selectLead = (db: Db) => db.selectFrom('leads').selectAll('leads').select(agentName);

/**
 * A page of the clinic's leads, newest first, by page number or cursor. The total is the kept
 * count (migration 011) without filters; with filters it counts the matching leads.
 */
export async function listLeads(db: Db, links: RecordLinks, clinicId: string, q: ListQuery): Promise<CursorPage<Lead>> {
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
  return cursorPage(
    {
      db,
      table: 'leads',
      clinicId,
      orderBy: 'created_at',
      query,
      total: isUnfiltered(q) ? countedTotal(db, clinicId, 'leads') : countOf(query),
      select: (qb) => qb.selectAll('leads').select(agentName),
      map: (row) => toLead(row, links),
      noun: 'a lead',
    },
    q,
  );
}

export async function getLead(db: Db, links: RecordLinks, clinicId: string, id: string): Promise<Lead> {
  const row = await selectLead(db).where('clinic_id', '=', clinicId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('Lead');
  return toLead(row, links);
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
function leadColumns(input: Partial<LeadCreate & LeadUpdate>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const key of LEAD_COLUMNS) if (input[key] !== undefined) columns[key] = input[key];
  return columns;
}

const LEAD_COLUMNS = [
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
  'external_metadata',
] as const;

/** external_metadata is written as JSON text. */
const toWrite = (columns: Record<string, unknown>) =>
  'external_metadata' in columns && columns.external_metadata !== null
    ? { ...columns, external_metadata: JSON.stringify(columns.external_metadata) }
    : columns;

/** The columns of `wanted` whose value differs from the lead's current one. */
function changedColumns(current: LeadWithAgent, wanted: Record<string, unknown>): Record<string, unknown> {
  const stored = current as unknown as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(wanted).filter(([key, value]) => {
      if (key === 'external_metadata') return canonicalJson(value) !== canonicalJson(stored[key]);
      // A UUID may come in capitals; the database returns it in lower case.
      if (key === 'agent_id' && typeof value === 'string') return value.toLowerCase() !== stored[key];
      return value !== stored[key];
    }),
  );
}

/**
 * Applies the fields of `input` that differ from `current`, records lead.updated with what they
 * were, and returns the lead. A body that changes nothing writes nothing and records no event.
 */
async function changeLead(
  trx: Transaction<Database>,
  links: RecordLinks,
  current: LeadWithAgent,
  input: Partial<LeadCreate & LeadUpdate>,
): Promise<Lead> {
  const before = toLead(current, links);
  const changes = changedColumns(current, leadColumns(input));
  if (Object.keys(changes).length === 0) return before;
  const row = await trx
    .updateTable('leads')
    .set({ ...toWrite(changes), updated_at: sql`now()` } as never)
    .where('id', '=', current.id)
    .returningAll()
    .returning(agentName)
    .executeTakeFirstOrThrow();
  const lead = toLead(row, links);
  await recordEvent(trx, current.clinic_id, 'lead.updated', lead, previousAttributes(before, lead));
  return lead;
}

export interface UpsertResult {
  lead: Lead;
  created: boolean;
}

/** Inserts the lead (recording lead.created); undefined when its external pair exists already. */
async function insertLead(trx: Transaction<Database>, links: RecordLinks, clinicId: string, input: LeadCreate): Promise<Lead | undefined> {
  const insert = trx.insertInto('leads').values({
    ...toWrite(leadColumns(input)),
    clinic_id: clinicId,
    external_source: input.external_source ?? null,
    external_id: input.external_id ?? null,
  } as never);
  const row = await (input.external_source
    ? insert.onConflict((oc) => oc.columns(['clinic_id', 'external_source', 'external_id']).doNothing())
    : insert
  )
    .returningAll()
    .returning(agentName)
    .executeTakeFirst();
  if (!row) return undefined;
  const lead = toLead(row, links);
  await recordEvent(trx, clinicId, 'lead.created', lead);
  return lead;
}

/**
 * Creates a lead, or with an external_source + external_id that a lead of the clinic already has,
 * updates that lead with the fields given (lead.updated with their previous values; nothing at all
 * when they change nothing). The existing lead is locked before it is compared; a concurrent
 * request that inserts the same pair first makes this one update the lead it inserted.
 */
export async function createOrUpdateLead(db: Db, links: RecordLinks, clinicId: string, input: LeadCreate): Promise<UpsertResult> {
  return inTransaction(db, async (trx) => {
    await assertOutboundAgent(trx, clinicId, input.agent_id);
    const { external_source: source, external_id: externalId } = input;
    if (!source || !externalId) return { lead: (await insertLead(trx, links, clinicId, input)) as Lead, created: true };
    for (let attempt = 1; ; attempt++) {
      const current = await selectLead(trx)
        .where('clinic_id', '=', clinicId)
        .where('external_source', '=', source)
        .where('external_id', '=', externalId)
        .forUpdate()
        .executeTakeFirst();
      if (current) return { lead: await changeLead(trx, links, current, input), created: false };
      const inserted = await insertLead(trx, links, clinicId, input);
      if (inserted) return { lead: inserted, created: true };
      // Another request inserted the pair after our look: the next look sees (and locks) its lead.
      if (attempt === 3) throw new Error('createOrUpdateLead: the lead of an external pair kept vanishing');
    }
  });
}

export async function updateLead(db: Db, links: RecordLinks, clinicId: string, id: string, patch: LeadUpdate): Promise<Lead> {
  return inTransaction(db, async (trx) => {
    await assertOutboundAgent(trx, clinicId, patch.agent_id);
    const current = await selectLead(trx).where('clinic_id', '=', clinicId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) throw notFound('Lead');
    return changeLead(trx, links, current, patch);
  });
}

/**
 * The dispatcher's claim reads the outbox through the indexes made for it, whatever the planner's
 * statistics say. Statistics taken while nothing was pending (a delivery log of finished rows),
 * then a paused backlog of one clinic: the claim's generic plan (the one a prepared statement keeps)
 * must walk the outbox index, not the index of pending deliveries by age, which would read the
 * whole backlog several times per claim (migration 015).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { createClinic } from '../services/clinics';
import { CLAIM } from '../webhooks/dispatcher';
import { backends, openTestDatabase } from './support/databases';

/** A clinic's subscription with `count` events and their deliveries, of `status`, due `dueIn` from now and not yet claimed. */
async function deliveries(db: Kysely<Database>, name: string, count: number, status: string, dueIn: string): Promise<void> {
  const { clinic } = await createClinic(db, name, 'UTC');
  const key = await db.selectFrom('api_keys').select('id').where('clinic_id', '=', clinic.id).executeTakeFirstOrThrow();
  const hook = await db
    .insertInto('webhooks')
    .values({ clinic_id: clinic.id, api_key_id: key.id, url: 'https://h.example.test/h', events: ['lead.created'], secret: 'whsec_x' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`
    insert into webhook_events (id, clinic_id, type, payload)
    select 'evt_' || ${name} || i, ${clinic.id}::uuid, 'lead.created', '{}' from generate_series(1, ${count}) as i`.execute(db);
  await sql`
    insert into webhook_deliveries (id, clinic_id, webhook_id, event_id, status, next_attempt_at)
    select 'msg_' || ${name} || i, ${clinic.id}::uuid, ${hook.id}::uuid, 'evt_' || ${name} || i, ${status}, now() + ${dueIn}::interval
    from generate_series(1, ${count}) as i`.execute(db);
}

/** The index names in the claim's generic plan. */
async function claimPlanIndexes(db: Kysely<Database>): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    await sql`set plan_cache_mode = force_generic_plan`.execute(conn);
    await sql.raw(`prepare qb_claim_plan(int, uuid[], timestamptz, int) as ${CLAIM.text}`).execute(conn);
    const { rows } = await sql<
      Record<string, unknown>
    >`explain (format json) execute qb_claim_plan(500, '{}', now() - interval '5 minutes', 100)`.execute(conn);
    await sql`deallocate qb_claim_plan`.execute(conn);
    await sql`reset plan_cache_mode`.execute(conn);
    const plan = rows[0]!['QUERY PLAN'];
    const text = typeof plan === 'string' ? plan : JSON.stringify(plan);
    return [...text.matchAll(/"Index Name":\s*"([^"]+)"/g)].map((m) => m[1]!);
  });
}

describe.each(backends())("the claim's plan on %s", (backend) => {
  it('walks the outbox and the claims through their own indexes when statistics say nothing is pending', async () => {
    const database = await openTestDatabase(backend);
    const { db } = database;
    try {
      await deliveries(db, 'Delivered', 3_000, 'succeeded', '-1 day');
      await sql`analyze webhook_deliveries`.execute(db);
      await deliveries(db, 'Paused', 3_000, 'pending', '10 minutes');
      await deliveries(db, 'Waiting', 1, 'pending', '0 seconds');
      const indexes = await claimPlanIndexes(db);
      expect(indexes).toContain('webhook_deliveries_outbox');
      expect(indexes).toContain('webhook_deliveries_claimed');
      expect(indexes).not.toContain('webhook_deliveries_pending_age');
    } finally {
      await database.close();
    }
  });
});

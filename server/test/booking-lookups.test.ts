/**
 * A booking reads its lead and its clinic's subscriptions by key, however many leads the clinic
 * has and however many subscriptions other clinics have (migration 019). Measured with the
 * database's own counters of index entries read (pg_stat_user_indexes), on the connection that
 * booked, on both backends; PGlite's tables have no planner statistics (it never analyses), the
 * case where the generic plan used to read every lead of the clinic and every active subscription
 * of every clinic.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import type { DatabaseHandle } from '../db/connect';
import { createClinic } from '../services/clinics';
import { envelopeFrame } from '../webhooks/outbox';
import { backends, openTestDatabase } from './support/databases';

const LEADS = 300;
const OTHER_SUBSCRIPTIONS = 60;

/** Index entries read per table (summed over its indexes), as counted by the database. */
async function entriesRead(db: Kysely<Database>): Promise<Record<string, number>> {
  await sql`select pg_stat_force_next_flush()`.execute(db);
  await sql`select pg_stat_clear_snapshot()`.execute(db);
  const { rows } = await sql<{ relname: string; n: number }>`
    select relname, sum(idx_tup_read)::int as n from pg_stat_user_indexes where relname in ('leads', 'webhooks') group by relname`.execute(
    db,
  );
  return Object.fromEntries(rows.map((r) => [r.relname, Number(r.n)]));
}

describe.each(backends())('the booking lookups on %s', (backend) => {
  let database: DatabaseHandle;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });

  afterAll(async () => {
    await database.close();
  });

  it('reads one lead of a clinic with hundreds, and none of the subscriptions of other clinics', async () => {
    const { db } = database;
    const booking = await createClinic(db, 'Many leads', 'UTC');
    const other = await createClinic(db, 'Many subscriptions', 'UTC');
    await sql`
      insert into leads (clinic_id, full_name, phone)
      select ${booking.clinic.id}::uuid, 'Lead ' || i, '+1555' || lpad(i::text, 7, '0') from generate_series(1, ${LEADS}) as i`.execute(db);
    await sql`
      insert into webhooks (clinic_id, api_key_id, url, events, secret)
      select ${other.clinic.id}::uuid, k.id, 'https://h.example.test/' || i, '{appointment.created,lead.updated}', 'whsec_x'
      from generate_series(1, ${OTHER_SUBSCRIPTIONS}) as i, (select id from api_keys where clinic_id = ${other.clinic.id}::uuid) as k`.execute(
      db,
    );
    const lead = await db
      .selectFrom('leads')
      .select('id')
      .where('clinic_id', '=', booking.clinic.id)
      .where('full_name', '=', 'Lead 150')
      .executeTakeFirstOrThrow();
    const start = Date.parse('2031-03-04T15:00:00Z');
    const appointmentEvent = envelopeFrame('appointment.created');
    const leadEvent = envelopeFrame('lead.updated');

    const read = await db.connection().execute(async (conn) => {
      const before = await entriesRead(conn);
      const { rows } = await sql<{ appointment: string | null }>`
        select * from qb_book_appointment(${booking.clinic.id}::uuid, ${lead.id}::uuid, null, ${new Date(start).toISOString()}::timestamptz,
          ${new Date(start + 1_800_000).toISOString()}::timestamptz, null, null, true, ${appointmentEvent.id}, ${appointmentEvent.before},
          ${leadEvent.id}, ${leadEvent.before}, ${appointmentEvent.created}::timestamptz, 'http://qb.example.test',
          ${randomUUID()}::uuid)`.execute(conn);
      expect(rows[0]?.appointment).toContain(lead.id);
      const after = await entriesRead(conn);
      return { leads: (after.leads ?? 0) - (before.leads ?? 0), webhooks: (after.webhooks ?? 0) - (before.webhooks ?? 0) };
    });
    // A few entries by key (the lead found, locked by the foreign key check, updated to booked), not the clinic's leads.
    expect(read.leads).toBeLessThanOrEqual(5);
    // The booking clinic has no subscription: nothing to read.
    expect(read.webhooks).toBe(0);
  });
});

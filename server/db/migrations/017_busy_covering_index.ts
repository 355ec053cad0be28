/**
 * Issue 20 (availability at scale, PGlite): `appointments_clinic_time` also carries each
 * appointment's end and status, so an availability search reads its page of appointments (and the
 * one under way at its start) from the index alone once the table is vacuumed (an index-only scan:
 * no heap page per appointment). Same name and key columns as before: whatever used it still can.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index appointments_clinic_time`.execute(db);
  await sql`create index appointments_clinic_time on appointments (clinic_id, scheduled_at) include (ends_at, status)`.execute(db);
}

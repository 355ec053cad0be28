/**
 * Issue 19 (noisy neighbours), the indexes that keep per-clinic work bounded:
 * - `calendar_blocks (clinic_id, ends_at)`: availability and the per-clinic cap read only the
 *   blocks that have not ended (at most the cap), never a clinic's past blocks.
 * - `dashboard_login_failures (attempted_at)`: the sign-in housekeeping deletes expired attempts
 *   by range, each row once, instead of scanning the table.
 */
import { sql, type Kysely } from 'kysely';

const STATEMENTS = [
  `create index calendar_blocks_clinic_end on calendar_blocks (clinic_id, ends_at)`,
  `create index dashboard_login_failures_time on dashboard_login_failures (attempted_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}

/**
 * Issue 20 (availability at scale): `calendar_blocks` by `(clinic_id, span)` on GiST, so an
 * availability search reads only the blocks that overlap the part of its window it needs (up to
 * the last appointment of its page), not every block that has not ended.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index calendar_blocks_clinic_span on calendar_blocks using gist (clinic_id, tstzrange(starts_at, ends_at, '[)'))`.execute(
    db,
  );
}

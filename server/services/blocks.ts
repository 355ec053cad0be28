/** Calendar blocks mirrored from external calendars: upsert and delete on external source + id. */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { BlockUpsert, CalendarBlock } from '../../contract';
import type { Database } from '../db/schema';
import { ApiError } from '../errors';
import { toBlock } from './serialize';

/**
 * Creates or updates the block with this external source + id. A clinic holds at most `maxLive`
 * blocks that have not ended (QB_CLINIC_BLOCK_LIMIT): one more is 409 `limit_reached`, whether it
 * is new or an ended block moved into the future; updating a live block is always allowed. The
 * count and the write run under a per-clinic advisory lock, so a parallel burst cannot pass the cap.
 */
export async function upsertBlock(
  db: Kysely<Database>,
  clinicId: string,
  input: BlockUpsert,
  maxLive: number,
): Promise<{ block: CalendarBlock; created: boolean }> {
  const values = { starts_at: new Date(input.starts_at), ends_at: new Date(input.ends_at), title: input.title ?? null };
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`calendar_blocks:${clinicId}`}, 0))`.execute(trx);
    if (values.ends_at.getTime() > Date.now()) await assertRoomForLiveBlock(trx, clinicId, input, maxLive);
    const row = await trx
      .insertInto('calendar_blocks')
      .values({ ...values, clinic_id: clinicId, external_source: input.external_source, external_id: input.external_id })
      .onConflict((oc) => oc.columns(['clinic_id', 'external_source', 'external_id']).doUpdateSet({ ...values, updated_at: sql`now()` }))
      .returningAll()
      .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
      .executeTakeFirstOrThrow();
    const { inserted, ...block } = row;
    return { block: toBlock(block), created: Boolean(inserted) };
  });
}

/** Refuses a block that would be one live block too many (replacing a live block of the same id is not one more). */
async function assertRoomForLiveBlock(trx: Transaction<Database>, clinicId: string, input: BlockUpsert, maxLive: number): Promise<void> {
  const live = await trx
    .selectFrom('calendar_blocks')
    .select([
      sql<number>`count(*)`.as('count'),
      sql<number>`count(*) filter (where external_source = ${input.external_source} and external_id = ${input.external_id})`.as('same'),
    ])
    .where('clinic_id', '=', clinicId)
    .where('ends_at', '>', sql<Date>`now()`)
    .executeTakeFirstOrThrow();
  if (Number(live.same) === 0 && Number(live.count) >= maxLive) throw blockLimitReached(maxLive);
}

export const blockLimitReached = (maxLive: number) =>
  new ApiError(
    409,
    'limit_reached',
    `This clinic already has ${maxLive} calendar blocks that have not ended, the most it may have. Delete blocks you no longer need (DELETE /api/v1/availability/blocks), or mirror back-to-back events as one block.`,
  );

/** Deleting is idempotent: a block that is already gone is not an error. */
export async function deleteBlock(db: Kysely<Database>, clinicId: string, externalSource: string, externalId: string): Promise<void> {
  await db
    .deleteFrom('calendar_blocks')
    .where('clinic_id', '=', clinicId)
    .where('external_source', '=', externalSource)
    .where('external_id', '=', externalId)
    .execute();
}

export async function listBlocks(db: Kysely<Database>, clinicId: string, from: Date, to: Date): Promise<CalendarBlock[]> {
  const rows = await db
    .selectFrom('calendar_blocks')
    .selectAll()
    .where('clinic_id', '=', clinicId)
    .where('starts_at', '<', to)
    .where('ends_at', '>', from)
    .orderBy('starts_at')
    .execute();
  return rows.map(toBlock);
}

/** Calendar blocks mirrored from external calendars: upsert and delete on external source + id. */
import { sql, type Kysely } from 'kysely';
import type { BlockUpsert, CalendarBlock } from '../../contract';
import type { Database } from '../db/schema';
import { toBlock } from './serialize';

export async function upsertBlock(
  db: Kysely<Database>,
  clinicId: string,
  input: BlockUpsert,
): Promise<{ block: CalendarBlock; created: boolean }> {
  const values = { starts_at: new Date(input.starts_at), ends_at: new Date(input.ends_at), title: input.title ?? null };
  const row = await db
    .insertInto('calendar_blocks')
    .values({ ...values, clinic_id: clinicId, external_source: input.external_source, external_id: input.external_id })
    .onConflict((oc) => oc.columns(['clinic_id', 'external_source', 'external_id']).doUpdateSet({ ...values, updated_at: sql`now()` }))
    .returningAll()
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirstOrThrow();
  const { inserted, ...block } = row;
  return { block: toBlock(block), created: Boolean(inserted) };
}

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

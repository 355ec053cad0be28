/**
 * Deleting and disabling subscriptions without a deadlock against the outcome writes.
 *
 * Every transaction that locks both subscriptions (`webhooks`) and their deliveries takes them in
 * one order: the deliveries first, in id order, then the subscriptions, in id order. Outcome
 * writes do (outcome.ts: the batch's deliveries, then their subscriptions). A plain
 * `DELETE FROM webhooks` does the opposite: it locks the subscription and then, through
 * ON DELETE CASCADE, its deliveries; beside an outcome write holding one of those deliveries and
 * waiting for the subscription, each waits for the other (a deadlock seen on PostgreSQL when the
 * noisy-neighbour bench deleted its noisy clinic's subscriptions). Disabling (a revoked key) is the
 * same with the subscriptions' pending deliveries. So these lock what they will touch first, in
 * that order, and only then change it (as does an outcome write that deletes a subscription after
 * a 410 Gone: outcome.ts locks its other deliveries with the batch's).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { failPending } from './outcome';

type Trx = Transaction<Database>;

/** Which subscriptions: a clinic's, optionally only those of one API key and/or these ids. */
export interface SubscriptionFilter {
  clinicId: string;
  keyId?: string;
  ids?: string[];
}

async function matching(trx: Trx, filter: SubscriptionFilter): Promise<string[]> {
  if (filter.ids?.length === 0) return [];
  let query = trx.selectFrom('webhooks').select('id').where('clinic_id', '=', filter.clinicId);
  if (filter.keyId !== undefined) query = query.where('api_key_id', '=', filter.keyId);
  if (filter.ids !== undefined) query = query.where('id', '=', (eb) => eb.fn.any(eb.val(filter.ids ?? [])));
  return (await query.execute()).map((r) => r.id);
}

/**
 * Locks the subscriptions of `filter` and their deliveries (only the pending ones with `pending`),
 * deliveries first, each in id order; `update` as a delete needs it, `no key update` as an update
 * of other columns does. Returns the ids of the subscriptions locked.
 */
async function lockInOrder(trx: Trx, filter: SubscriptionFilter, how: 'delete' | 'update'): Promise<string[]> {
  const ids = await matching(trx, filter);
  if (ids.length === 0) return ids;
  const mode = how === 'delete' ? sql.raw('for update') : sql.raw('for no key update');
  const pendingOnly = how === 'delete' ? sql`` : sql`and status = 'pending'`;
  await sql`select id from webhook_deliveries where webhook_id = any(${ids}::uuid[]) ${pendingOnly} order by id ${mode}`.execute(trx);
  const locked = await sql<{ id: string }>`select id from webhooks where id = any(${ids}::uuid[]) order by id ${mode}`.execute(trx);
  return locked.rows.map((r) => r.id);
}

/** Deletes the subscriptions of `filter` with their deliveries (and attempts); returns how many. */
export async function deleteSubscriptions(db: Kysely<Database>, filter: SubscriptionFilter): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ids = await lockInOrder(trx, filter, 'delete');
    if (ids.length === 0) return 0;
    const result = await trx
      .deleteFrom('webhooks')
      .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}

/** Disables the subscriptions of `filter` for `reason` and fails their pending deliveries (nothing will send them), in `trx`. */
export async function disableSubscriptions(trx: Trx, filter: SubscriptionFilter, reason: string): Promise<void> {
  const ids = await lockInOrder(trx, filter, 'update');
  if (ids.length === 0) return;
  await trx
    .updateTable('webhooks')
    .set({ status: 'disabled', disabled_reason: reason })
    .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
    .execute();
  await failPending(trx, ids);
}

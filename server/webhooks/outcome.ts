/**
 * Recording what came of a batch of attempts, in one transaction: every attempt goes to the
 * log, and each delivery this job still owns takes one of four branches: success, 410 Gone,
 * retry later, or give up (and disable a subscription that has failed for days). Successes, the
 * common case, are one statement for the whole batch.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import type { AttemptOutcome, DeliveryTarget } from './attempt';
import { DISABLE_AFTER_MS, nextDelayMs } from './retry-schedule';

type Trx = Transaction<Database>;

export interface Attempted {
  target: DeliveryTarget;
  outcome: AttemptOutcome;
}

export interface OutcomeSettings {
  /** Multiplies the retry schedule and the disable threshold. */
  scale: number;
  /** Queues job `seq` for the delivery, due at `at`, inside the transaction. */
  queueRetry(trx: Trx, deliveryId: string, seq: number, at: Date): Promise<void>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** Marks a subscription's unfinished deliveries failed: nothing will send them any more. */
export async function failPending(trx: Trx, webhookId: string): Promise<void> {
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', next_attempt_at: null, updated_at: sql`now()` })
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'pending')
    .execute();
}

export async function recordOutcomes(trx: Trx, attempted: Attempted[], settings: OutcomeSettings): Promise<void> {
  if (attempted.length === 0) return;
  // Locked in id order (so two batches never wait on each other in a cycle), so that a concurrent
  // redelivery or requeue is either before or after this decision. NO KEY UPDATE, like the updates
  // below: nothing here changes a key, so writes whose new rows reference these (the foreign-key
  // check takes KEY SHARE) go on beside this transaction instead of queueing behind it or in a
  // deadlock with it.
  const current = await trx
    .selectFrom('webhook_deliveries')
    .select(['id', 'status', 'attempt_count', 'job_seq'])
    .where(
      'id',
      'in',
      attempted.map((a) => a.target.deliveryId),
    )
    .orderBy('id')
    .forNoKeyUpdate()
    .execute();
  const byId = new Map(current.map((c) => [c.id, c]));
  // A delivery gone meanwhile (its subscription was deleted) has nothing left to record.
  const present = attempted.filter((a) => byId.has(a.target.deliveryId));
  if (present.length === 0) return;
  await trx
    .insertInto('webhook_delivery_attempts')
    .values(
      present.map(({ target, outcome }) => ({
        delivery_id: target.deliveryId,
        attempted_at: outcome.attemptedAt,
        response_status: outcome.status,
        latency_ms: outcome.latencyMs,
        error: outcome.error,
      })),
    )
    .execute();
  // A newer job owns a delivery whose number moved on: that job decides what happens next.
  const owned = present.filter((a) => {
    const c = byId.get(a.target.deliveryId);
    return c?.status === 'pending' && c.job_seq === a.target.seq;
  });
  if (owned.length === 0) return;
  const failed = owned.filter((a) => a.outcome.error !== null);
  // The subscriptions too are locked in id order, for the same reasons: a write recording an event
  // inserts a delivery for each of them, and must not wait for this batch. A batch of successes
  // (the common case) locks them in its last statement, so batches in flight hold them only for an
  // instant; one with failures locks them all first, as it updates them one by one.
  if (failed.length > 0) {
    await trx
      .selectFrom('webhooks')
      .select('id')
      .where('id', 'in', [...new Set(owned.map((a) => a.target.webhookId))])
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
  }
  await recordSuccesses(
    trx,
    owned.filter((a) => a.outcome.error === null),
  );
  const gone = new Set<string>();
  for (const a of failed) {
    if (gone.has(a.target.webhookId)) continue;
    const attempts = (byId.get(a.target.deliveryId)?.attempt_count ?? 0) + 1;
    if (a.outcome.status === 410) {
      await recordGone(trx, a, settings);
      gone.add(a.target.webhookId);
    } else await recordFailure(trx, a, attempts, settings);
  }
}

/** One statement: the deliveries succeeded, and their subscriptions (locked in id order) last succeeded now. */
async function recordSuccesses(trx: Trx, succeeded: Attempted[]): Promise<void> {
  if (succeeded.length === 0) return;
  await sql`
    with done as (
      update webhook_deliveries
      set status = 'succeeded', attempt_count = attempt_count + 1, next_attempt_at = null, updated_at = now()
      where id = any(${succeeded.map((a) => a.target.deliveryId)}::text[])
    ), hooks as (
      select id from webhooks where id = any(${[...new Set(succeeded.map((a) => a.target.webhookId))]}::uuid[]) order by id for no key update
    )
    update webhooks w set last_success_at = now(), failing_since = null from hooks where w.id = hooks.id
  `.execute(trx);
}

/** The receiver says the subscription is gone (Zapier does this for a turned-off Zap): deleting it cascades to its deliveries. */
async function recordGone(trx: Trx, { target }: Attempted, settings: OutcomeSettings): Promise<void> {
  await trx.deleteFrom('webhooks').where('id', '=', target.webhookId).execute();
  settings.log.info({ webhook: target.webhookId }, 'receiver answered 410 Gone: subscription removed');
}

/** A failed attempt: retry on the schedule, or give up, and disable a subscription failing for days. */
async function recordFailure(trx: Trx, { target, outcome }: Attempted, attempts: number, settings: OutcomeSettings): Promise<void> {
  const webhook = await trx
    .updateTable('webhooks')
    .set({ failing_since: sql`coalesce(failing_since, now())` })
    .where('id', '=', target.webhookId)
    .returning(['failing_since'])
    .executeTakeFirst();
  if (!webhook) return; // deleted meanwhile, with its deliveries
  const delay = nextDelayMs(attempts, outcome.retryAfterMs, settings.scale);
  if (delay !== undefined) {
    const nextAt = new Date(Date.now() + delay);
    await trx
      .updateTable('webhook_deliveries')
      .set({ attempt_count: attempts, next_attempt_at: nextAt, job_seq: target.seq + 1, updated_at: sql`now()` })
      .where('id', '=', target.deliveryId)
      .execute();
    await settings.queueRetry(trx, target.deliveryId, target.seq + 1, nextAt);
    return;
  }
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', attempt_count: attempts, next_attempt_at: null, updated_at: sql`now()` })
    .where('id', '=', target.deliveryId)
    .execute();
  const failingSince = webhook.failing_since;
  if (!failingSince || Date.now() - failingSince.getTime() < DISABLE_AFTER_MS * settings.scale) return;
  await trx
    .updateTable('webhooks')
    .set({
      status: 'disabled',
      disabled_reason: `no successful delivery since ${failingSince.toISOString()}; last error: ${outcome.error}`,
    })
    .where('id', '=', target.webhookId)
    .execute();
  await failPending(trx, target.webhookId);
  settings.log.warn({ webhook: target.webhookId }, 'webhook disabled after failing for days');
}

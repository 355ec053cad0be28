/**
 * Recording what came of a batch of attempts, in one transaction: every attempt goes to the
 * log, and each delivery this job still owns takes one of four branches: success, 410 Gone,
 * retry later, or give up (and disable a subscription that has failed for days). Each branch is a
 * few statements for the whole batch, however many deliveries take it.
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
  /** Queues the retries' jobs (job `seq`, due `at`), inside the transaction. */
  queueRetries(trx: Trx, retries: QueuedRetry[]): Promise<void>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface QueuedRetry {
  deliveryId: string;
  seq: number;
  at: Date;
}

/** How many deliveries a batch finished, for /metrics. */
export interface Finished {
  succeeded: number;
  failed: number;
}

/** Marks the unfinished deliveries of these subscriptions failed: nothing will send them any more. */
export async function failPending(trx: Trx, webhookIds: string[]): Promise<void> {
  if (webhookIds.length === 0) return;
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', next_attempt_at: null, updated_at: sql`now()` })
    .where('webhook_id', '=', (eb) => eb.fn.any(eb.val(webhookIds)))
    .where('status', '=', 'pending')
    .execute();
}

/**
 * Locks the batch's deliveries and logs every attempt of one still there; returns the deliveries' rows.
 * A batch with a 410 Gone locks its subscriptions' other deliveries too, in the same statement:
 * deleting the subscription (recordGone) cascades to them, and they must be locked before the
 * subscriptions are (removal.ts: the one lock order), not by the cascade after them.
 */
async function logAttempts(trx: Trx, attempted: Attempted[]) {
  // Locked in id order (so two batches never wait on each other in a cycle), so that a concurrent
  // redelivery or requeue is either before or after this decision. NO KEY UPDATE, like the updates
  // below: nothing here changes a key, so writes whose new rows reference these (the foreign-key
  // check takes KEY SHARE) go on beside this transaction instead of queueing behind it or in a
  // deadlock with it.
  const ids = attempted.map((a) => a.target.deliveryId);
  const gone = [...new Set(attempted.filter((a) => a.outcome.status === 410).map((a) => a.target.webhookId))];
  const query = trx.selectFrom('webhook_deliveries').select(['id', 'status', 'attempt_count', 'job_seq']).orderBy('id');
  const current = await (gone.length === 0
    ? query.where('id', '=', (eb) => eb.fn.any(eb.val(ids))).forNoKeyUpdate()
    : query.where((eb) => eb.or([eb('id', '=', eb.fn.any(eb.val(ids))), eb('webhook_id', '=', eb.fn.any(eb.val(gone)))])).forUpdate()
  ).execute();
  const byId = new Map(current.map((c) => [c.id, c]));
  // A delivery gone meanwhile (its subscription was deleted) has nothing left to record.
  const present = attempted.filter((a) => byId.has(a.target.deliveryId));
  if (present.length > 0) await insertAttempts(trx, present);
  return { byId, present };
}

/**
 * The attempts' log rows, one statement of one text whatever the batch's size (arrays, not a
 * VALUES list of five parameters a row): PostgreSQL parses and plans it once per connection, and
 * the batch is five parameters to send, not hundreds.
 */
async function insertAttempts(trx: Trx, attempts: Attempted[]): Promise<void> {
  await sql`
    insert into webhook_delivery_attempts (delivery_id, attempted_at, response_status, latency_ms, error)
    select * from unnest(${attempts.map((a) => a.target.deliveryId)}::text[],
      ${attempts.map((a) => a.outcome.attemptedAt.toISOString())}::timestamptz[], ${attempts.map((a) => a.outcome.status)}::int[],
      ${attempts.map((a) => a.outcome.latencyMs)}::int[], ${attempts.map((a) => a.outcome.error)}::text[])
  `.execute(trx);
}

export async function recordOutcomes(trx: Trx, attempted: Attempted[], settings: OutcomeSettings): Promise<Finished> {
  if (attempted.length === 0) return { succeeded: 0, failed: 0 };
  const { byId, present } = await logAttempts(trx, attempted);
  // A newer job owns a delivery whose number moved on: that job decides what happens next.
  const owned = present.filter((a) => {
    const c = byId.get(a.target.deliveryId);
    return c?.status === 'pending' && c.job_seq === a.target.seq;
  });
  const succeeded = owned.filter((a) => a.outcome.error === null);
  const failed = owned.filter((a) => a.outcome.error !== null);
  // The subscriptions too are locked in id order, for the same reasons: a write recording an event
  // inserts a delivery for each of them, and must not wait for this batch. A batch of successes
  // (the common case) locks them in its last statement, so batches in flight hold them only for an
  // instant; one with failures locks them all first, as it updates them.
  if (failed.length > 0) {
    await trx
      .selectFrom('webhooks')
      .select('id')
      .where('id', '=', (eb) => eb.fn.any(eb.val([...new Set(owned.map((a) => a.target.webhookId))])))
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
  }
  await recordSuccesses(trx, succeeded);
  const gone = await recordGone(
    trx,
    failed.filter((a) => a.outcome.status === 410),
    settings,
  );
  const attemptsMade = (a: Attempted) => (byId.get(a.target.deliveryId)?.attempt_count ?? 0) + 1;
  const givenUp = await recordFailures(
    trx,
    failed.filter((a) => !gone.has(a.target.webhookId)),
    attemptsMade,
    settings,
  );
  return { succeeded: succeeded.length, failed: givenUp };
}

/**
 * One statement: the deliveries succeeded, and their subscriptions (locked in id order) last
 * succeeded now. A subscription that was not failing and last succeeded less than a second ago is
 * left as it is (neither locked nor rewritten): a fan-out's batches would otherwise rewrite every
 * subscription of the clinic once per batch, more rows than the deliveries they record, each a row
 * that the clinic's writes lock (the foreign-key check of every delivery they queue).
 */
async function recordSuccesses(trx: Trx, succeeded: Attempted[]): Promise<void> {
  if (succeeded.length === 0) return;
  await sql`
    with done as (
      update webhook_deliveries
      set status = 'succeeded', attempt_count = attempt_count + 1, next_attempt_at = null, updated_at = now()
      where id = any(${succeeded.map((a) => a.target.deliveryId)}::text[])
    ), hooks as (
      select id from webhooks where id = any(${[...new Set(succeeded.map((a) => a.target.webhookId))]}::uuid[])
        and (failing_since is not null or last_success_at is null or last_success_at < now() - interval '1 second')
      order by id for no key update
    )
    update webhooks w set last_success_at = now(), failing_since = null from hooks where w.id = hooks.id
  `.execute(trx);
}

/** The receiver says the subscription is gone (Zapier does this for a turned-off Zap): deleting it cascades to its deliveries. */
async function recordGone(trx: Trx, gone: Attempted[], settings: OutcomeSettings): Promise<Set<string>> {
  const ids = new Set(gone.map((a) => a.target.webhookId));
  if (ids.size === 0) return ids;
  await trx
    .deleteFrom('webhooks')
    .where('id', '=', (eb) => eb.fn.any(eb.val([...ids])))
    .execute();
  for (const webhook of ids) settings.log.info({ webhook }, 'receiver answered 410 Gone: subscription removed');
  return ids;
}

/**
 * Failed attempts, a few statements for the whole batch: each delivery is retried on the schedule
 * or given up, and a subscription failing for days whose delivery gave up is disabled. Returns
 * how many deliveries were given up.
 */
async function recordFailures(
  trx: Trx,
  failed: Attempted[],
  attemptsMade: (a: Attempted) => number,
  settings: OutcomeSettings,
): Promise<number> {
  if (failed.length === 0) return 0;
  const hooks = await trx
    .updateTable('webhooks')
    .set({ failing_since: sql`coalesce(failing_since, now())` })
    .where('id', '=', (eb) => eb.fn.any(eb.val([...new Set(failed.map((a) => a.target.webhookId))])))
    .returning(['id', 'failing_since'])
    .execute();
  const failingSince = new Map(hooks.map((h) => [h.id, h.failing_since]));
  const retries: Array<QueuedRetry & { attempts: number; outbox: boolean }> = [];
  const givenUp: Array<{ a: Attempted; attempts: number }> = [];
  for (const a of failed) {
    if (!failingSince.has(a.target.webhookId)) continue; // deleted meanwhile, with its deliveries
    const attempts = attemptsMade(a);
    const delay = nextDelayMs(attempts, a.outcome.retryAfterMs, settings.scale);
    if (delay === undefined) givenUp.push({ a, attempts });
    else {
      const at = new Date(Date.now() + delay);
      retries.push({ deliveryId: a.target.deliveryId, seq: a.target.seq + 1, at, attempts, outbox: a.outcome.notSent === true });
    }
  }
  if (retries.length > 0) {
    // A retry after a real attempt is a job of the queue; one of a delivery held back unsent goes
    // back to the outbox, due then (the dispatcher claims it fairly, with no job to write).
    await sql`
      update webhook_deliveries d
      set attempt_count = r.attempts, next_attempt_at = r.at, job_seq = r.seq, dispatched = not r.outbox, updated_at = now()
      from unnest(${retries.map((r) => r.deliveryId)}::text[], ${retries.map((r) => r.attempts)}::int[],
        ${retries.map((r) => r.at.toISOString())}::timestamptz[], ${retries.map((r) => r.seq)}::int[],
        ${retries.map((r) => r.outbox)}::boolean[]) as r(id, attempts, at, seq, outbox)
      where d.id = r.id
    `.execute(trx);
    await settings.queueRetries(
      trx,
      retries.filter((r) => !r.outbox),
    );
  }
  if (givenUp.length > 0) await giveUp(trx, givenUp, failingSince, settings);
  return givenUp.length;
}

/** Deliveries out of retries fail; a subscription with no success for days is disabled with them. */
async function giveUp(
  trx: Trx,
  givenUp: Array<{ a: Attempted; attempts: number }>,
  failingSince: Map<string, Date | null>,
  settings: OutcomeSettings,
): Promise<void> {
  await sql`
    update webhook_deliveries d
    set status = 'failed', attempt_count = r.attempts, next_attempt_at = null, updated_at = now()
    from unnest(${givenUp.map((g) => g.a.target.deliveryId)}::text[], ${givenUp.map((g) => g.attempts)}::int[]) as r(id, attempts)
    where d.id = r.id
  `.execute(trx);
  const disabled = new Set<string>();
  for (const { a } of givenUp) {
    const since = failingSince.get(a.target.webhookId);
    if (disabled.has(a.target.webhookId) || !since || Date.now() - since.getTime() < DISABLE_AFTER_MS * settings.scale) continue;
    disabled.add(a.target.webhookId);
    await trx
      .updateTable('webhooks')
      .set({ status: 'disabled', disabled_reason: `no successful delivery since ${since.toISOString()}; last error: ${a.outcome.error}` })
      .where('id', '=', a.target.webhookId)
      .execute();
    await failPending(trx, [a.target.webhookId]);
    settings.log.warn({ webhook: a.target.webhookId }, 'webhook disabled after failing for days');
  }
}

/**
 * Webhook delivery on pg-boss, a PostgreSQL job queue that runs on PGlite and PostgreSQL alike.
 *
 * How an event becomes HTTP requests, and why none is lost:
 * 1. `recordEvent` writes the event and one `webhook_deliveries` row per matching subscription
 *    in the transaction of the change itself (outbox): committed together or not at all.
 * 2. The dispatcher takes undispatched rows (FOR UPDATE SKIP LOCKED, so several instances never
 *    take the same row) and, in the same transaction, enqueues one pg-boss job per delivery.
 *    It runs on start, after every write request (notify) and on a short sweep interval.
 * 3. A pg-boss worker makes one attempt per job and, in one transaction, records the attempt and
 *    either finishes the delivery or enqueues the next attempt with `startAfter`. A worker that
 *    dies mid-attempt leaves an active job that pg-boss expires and retries.
 * So at every moment a pending delivery is either an undispatched row or a queued/active job,
 * both durable: at-least-once, with the delivery id (`webhook-id`) stable across retries.
 *
 * Why this shape rather than `boss.send` inside recordEvent: the outbox row is plain SQL in the
 * caller's transaction, so services need no queue handle and an API server without a worker
 * (QB_WORKER=off) still records everything; the worker process, wherever it runs, fans it out.
 *
 * Two safety nets make the queue's own bookkeeping non-critical:
 * - Every job carries the delivery's `job_seq`, bumped whenever a job is queued for it; a job
 *   whose number is stale does nothing. A redelivery therefore replaces the pending retry
 *   instead of starting a second retry chain beside it.
 * - A pending delivery that is overdue by `staleAfterMs` (its job was lost: pg-boss gave up
 *   after repeated crashes, or someone purged the queue) is queued again by the sweep.
 */
import { CompiledQuery, sql, type Transaction } from 'kysely';
import { PgBoss } from 'pg-boss';
import type { ServerDeps } from '../context';
import type { Database } from '../db/schema';
import { DISABLE_AFTER_MS, nextDelayMs, parseRetryAfter } from './retry-schedule';
import { buildDeliveryHeaders } from './signature';
import { describeRedirect, describeTransportError, webhookFetch } from './pinned-transport';
import { assertDeliverableUrl } from './url-policy';

export const DELIVERY_QUEUE = 'webhook-delivery';

export interface WebhookDelivery {
  /** Call after a transaction that recorded events committed. */
  notify(): void;
  stop(): Promise<void>;
}

export interface DeliveryOptions {
  /** Multiplies the retry schedule and the disable threshold (tests use e.g. 0.001). */
  scheduleScale?: number;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** How often to look for deliveries written by other processes. */
  sweepIntervalMs?: number;
  /** A pending delivery this long overdue is queued again (default: 5 job-expiry periods). */
  staleAfterMs?: number;
}

interface DeliveryJob {
  deliveryId: string;
  /** The delivery's job_seq when this job was queued (absent in jobs queued before it existed). */
  seq?: number;
}

/** pg-boss's database interface over a Kysely transaction, for enqueueing inside it. */
function inTransaction(trx: Transaction<Database>) {
  return {
    executeSql: async (text: string, values?: unknown[]) => {
      const result = await trx.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows as any[] };
    },
  };
}

interface AttemptOutcome {
  status: number | null;
  error: string | null;
  latencyMs: number;
  retryAfterMs?: number;
}

async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, allowPrivate: boolean): Promise<AttemptOutcome> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    await assertDeliverableUrl(url, { allowPrivate });
    const res = await webhookFetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) }, { allowPrivate });
    await res.body?.cancel().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    const error = ok ? null : res.status >= 300 && res.status < 400 ? describeRedirect(res.status) : `HTTP ${res.status}`;
    const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get('retry-after')) : undefined;
    return { status: res.status, error, latencyMs: latency(), retryAfterMs };
  } catch (error) {
    return { status: null, error: describeTransportError(error, timeoutMs), latencyMs: latency() };
  }
}

export async function startWebhookDelivery(deps: ServerDeps, options: DeliveryOptions = {}): Promise<WebhookDelivery> {
  const { db } = deps.database;
  const log = deps.logger.child({ component: 'webhooks' });
  const scale = options.scheduleScale ?? deps.config.webhookScheduleScale;
  const expireSeconds = Math.max(1, Math.round(deps.config.webhookJobExpireSeconds));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const allowPrivate = deps.config.allowPrivateWebhooks;
  const staleAfterMs = options.staleAfterMs ?? 5 * expireSeconds * 1000;

  const boss = new PgBoss({
    db: { executeSql: deps.database.executeSql as (text: string, values?: unknown[]) => Promise<{ rows: any[] }> },
    schema: 'pgboss',
    schedule: false,
    supervise: true,
    // Expired (crashed) jobs are found by the supervisor: look as often as they can expire.
    superviseIntervalSeconds: Math.min(60, expireSeconds),
  });
  boss.on('error', (error: Error) => log.error({ err: error }, 'job queue error'));
  await boss.start();
  await boss.createQueue(DELIVERY_QUEUE, {
    retryLimit: 5,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: expireSeconds,
  });

  /** Marks a subscription's unfinished deliveries failed: nothing will send them any more. */
  async function failPending(trx: Transaction<Database>, webhookId: string): Promise<void> {
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', next_attempt_at: null, updated_at: sql`now()` })
      .where('webhook_id', '=', webhookId)
      .where('status', '=', 'pending')
      .execute();
  }

  async function attempt({ deliveryId, seq = 0 }: DeliveryJob): Promise<void> {
    const row = await db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .select(['d.id', 'd.status', 'd.attempt_count', 'd.job_seq', 'w.id as webhook_id', 'w.url', 'w.secret', 'w.status as webhook_status', 'e.type', 'e.payload'])
      .where('d.id', '=', deliveryId)
      .executeTakeFirst();
    // Gone (410, unsubscribed), finished, or superseded by a newer job (redelivery, requeue).
    if (!row || row.status !== 'pending' || row.job_seq !== seq) return;
    if (row.webhook_status !== 'active') {
      // Disabled meanwhile: this delivery will not be sent (a redelivery re-enables and resends).
      await db.transaction().execute((trx) => failPending(trx, row.webhook_id));
      return;
    }

    const attemptedAt = new Date();
    const outcome = await post(row.url, buildDeliveryHeaders(row.secret, row.id, row.type, row.payload), row.payload, timeoutMs, allowPrivate);
    log.debug({ delivery: row.id, status: outcome.status, error: outcome.error }, 'webhook attempt');

    await db.transaction().execute(async (trx) => {
      // Locked, so a concurrent redelivery or requeue is either before or after this decision.
      const current = await trx
        .selectFrom('webhook_deliveries')
        .select(['status', 'attempt_count', 'job_seq'])
        .where('id', '=', row.id)
        .forUpdate()
        .executeTakeFirst();
      if (!current) return; // the subscription was deleted while the request was in flight
      await trx
        .insertInto('webhook_delivery_attempts')
        .values({ delivery_id: row.id, attempted_at: attemptedAt, response_status: outcome.status, latency_ms: outcome.latencyMs, error: outcome.error })
        .execute();
      // A newer job owns the delivery now: it decides what happens next.
      if (current.status !== 'pending' || current.job_seq !== seq) return;
      const attempts = current.attempt_count + 1;
      if (outcome.error === null) {
        await trx.updateTable('webhook_deliveries').set({ status: 'succeeded', attempt_count: attempts, next_attempt_at: null, updated_at: sql`now()` }).where('id', '=', row.id).execute();
        await trx.updateTable('webhooks').set({ last_success_at: sql`now()`, failing_since: null }).where('id', '=', row.webhook_id).execute();
        return;
      }
      if (outcome.status === 410) {
        // The receiver says the subscription is gone (Zapier does this for a turned-off Zap).
        // Deleting it cascades to its deliveries: none is attempted again.
        await trx.deleteFrom('webhooks').where('id', '=', row.webhook_id).execute();
        log.info({ webhook: row.webhook_id }, 'receiver answered 410 Gone: subscription removed');
        return;
      }
      const webhook = await trx
        .updateTable('webhooks')
        .set({ failing_since: sql`coalesce(failing_since, now())` })
        .where('id', '=', row.webhook_id)
        .returning(['failing_since'])
        .executeTakeFirstOrThrow();
      const delay = nextDelayMs(attempts, outcome.retryAfterMs, scale);
      if (delay === undefined) {
        await trx.updateTable('webhook_deliveries').set({ status: 'failed', attempt_count: attempts, next_attempt_at: null, updated_at: sql`now()` }).where('id', '=', row.id).execute();
        const failingFor = Date.now() - (webhook.failing_since?.getTime() ?? Date.now());
        if (failingFor >= DISABLE_AFTER_MS * scale) {
          await trx
            .updateTable('webhooks')
            .set({ status: 'disabled', disabled_reason: `no successful delivery since ${webhook.failing_since!.toISOString()}; last error: ${outcome.error}` })
            .where('id', '=', row.webhook_id)
            .execute();
          await failPending(trx, row.webhook_id);
          log.warn({ webhook: row.webhook_id }, 'webhook disabled after failing for days');
        }
        return;
      }
      const nextAt = new Date(Date.now() + delay);
      await trx
        .updateTable('webhook_deliveries')
        .set({ attempt_count: attempts, next_attempt_at: nextAt, job_seq: seq + 1, updated_at: sql`now()` })
        .where('id', '=', row.id)
        .execute();
      await boss.send(DELIVERY_QUEUE, { deliveryId: row.id, seq: seq + 1 } satisfies DeliveryJob, { startAfter: nextAt, db: inTransaction(trx) });
    });
  }

  // Batches keep a backlog moving: a full batch is followed at once by the next fetch
  // (burstWhenBatchFull) instead of waiting out the poll interval after every job. Attempts of a
  // batch run side by side; one that throws (a database error) is logged and left pending, and
  // the sweep queues it again once it is overdue, so no job's failure holds up the others.
  const workerId = await boss.work<DeliveryJob>(
    DELIVERY_QUEUE,
    { batchSize: 16, localConcurrency: 2, pollingIntervalSeconds: 0.5, burstWhenBatchFull: true },
    async (jobs) => {
      await Promise.all(
        jobs.map((job) =>
          attempt(job.data).catch((error: unknown) => log.error({ err: error, delivery: job.data.deliveryId }, 'webhook attempt failed; it will be requeued')),
        ),
      );
    },
  );

  /**
   * Moves undispatched outbox rows (new events, redeliveries) into the queue, and queues again
   * pending deliveries overdue by staleAfterMs (their job was lost); returns how many it moved.
   */
  async function dispatchOnce(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const staleBefore = new Date(Date.now() - staleAfterMs);
      const due = await trx
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('dispatched', '=', false), eb('next_attempt_at', '<', staleBefore)]))
        .orderBy('created_at')
        .limit(200)
        .forUpdate()
        .skipLocked()
        .execute();
      if (due.length === 0) return 0;
      // A new job number supersedes any job already queued; due no earlier than now, so a
      // requeued delivery is not found overdue again until another staleAfterMs has passed.
      const queued = await trx
        .updateTable('webhook_deliveries')
        .set({ dispatched: true, job_seq: sql`job_seq + 1`, next_attempt_at: sql`greatest(coalesce(next_attempt_at, now()), now())` })
        .where('id', 'in', due.map((d) => d.id))
        .returning(['id', 'job_seq', 'next_attempt_at'])
        .execute();
      await boss.insert(
        DELIVERY_QUEUE,
        queued.map((d) => ({ data: { deliveryId: d.id, seq: d.job_seq } satisfies DeliveryJob, startAfter: d.next_attempt_at ?? undefined })),
        { db: inTransaction(trx) },
      );
      return queued.length;
    });
  }

  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const dispatch = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        do {
          again = false;
          while ((await dispatchOnce()) === 200) {
            // a full batch: more may be waiting
          }
        } while (again && !stopped);
        boss.notifyWorker(workerId);
      } catch (error) {
        if (!stopped) log.error({ err: error }, 'webhook dispatch failed; the sweep will retry');
      } finally {
        running = undefined;
      }
    })();
  };

  dispatch();
  const sweep = setInterval(dispatch, options.sweepIntervalMs ?? 1000);
  sweep.unref();

  return {
    notify: dispatch,
    async stop() {
      stopped = true;
      clearInterval(sweep);
      await running;
      await boss.stop({ graceful: true, timeout: 5000 });
    },
  };
}

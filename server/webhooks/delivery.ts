/**
 * Webhook delivery: straight from the outbox in the common case, with pg-boss (a PostgreSQL job
 * queue that runs on PGlite and PostgreSQL alike) for what is due later.
 *
 * How an event becomes HTTP requests, and why none is lost:
 * 1. `recordEvent` writes the event and one `webhook_deliveries` row per matching subscription
 *    in the transaction of the change itself (outbox): committed together or not at all.
 * 2. The dispatcher claims undispatched rows (FOR NO KEY UPDATE SKIP LOCKED, so several instances
 *    never take the same row) and marks them dispatched under a new job number. Rows due now go,
 *    once that commits, straight to this process's batch lane, as far as it has room; the others
 *    (due later, or beyond the lane's room) get one pg-boss job each in the same transaction.
 *    It runs on start, after every write request (notify) and on a short sweep interval.
 * 3. Batches of deliveries (from the lane, or a pg-boss worker's claimed jobs) are loaded in one
 *    query, POSTed side by side over keep-alive connections, and recorded in one transaction:
 *    each attempt, and per delivery either its end or the next attempt queued as a pg-boss job
 *    with `startAfter`.
 * So at every moment a pending delivery is an undispatched row, a queued or active job, or a
 * claimed row waiting in, or attempted by, a live process's lane. A claim whose process died
 * without handing it back (a crash) is pending, and overdue `staleAfterMs` later (5 job-expiry
 * periods: 5 minutes by default), when any instance's sweep claims it again; on PGlite, whose
 * data directory has one process, the next start claims it again at once. At-least-once, with
 * the delivery id (`webhook-id`) stable across retries.
 *
 * Why the lane beside the queue: a fan-out's first attempts are most of the traffic, and a round
 * through pg-boss (insert, fetch, complete: three writes of an indexed row per delivery, and a
 * wake-up) cost more database time than recording the attempts themselves.
 *
 * Why the outbox rather than `boss.send` inside recordEvent: the outbox row is plain SQL in the
 * caller's transaction, so services need no queue handle and an API server without a worker
 * (QB_WORKER=off) still records everything; the worker process, wherever it runs, fans it out.
 *
 * The pieces: dispatcher.ts (step 2), batch-lane.ts, attempt.ts + transport.ts (the HTTP
 * attempt), outcome.ts (recording a batch); this file wires them together.
 *
 * Two safety nets make the queue's own bookkeeping non-critical:
 * - Every job or lane entry carries the delivery's `job_seq`, bumped whenever the delivery is
 *   claimed or a retry is queued for it; one whose number is stale does nothing. A redelivery therefore replaces the pending
 *   retry instead of starting a second retry chain beside it.
 * - A pending delivery that is overdue by `staleAfterMs` (its attempt died with its process, pg-boss
 *   gave up after repeated crashes, or someone purged the queue) is claimed again by the sweep.
 */
import { CompiledQuery, sql, type Transaction } from 'kysely';
import { PgBoss } from 'pg-boss';
import type { ServerDeps } from '../context';
import type { Database } from '../db/schema';
import { attemptDelivery, type AttemptSettings, type DeliveryTarget } from './attempt';
import { createBatchLane } from './batch-lane';
import { startDispatcher } from './dispatcher';
import { failPending, recordOutcomes, type Attempted, type OutcomeSettings } from './outcome';
import { createTransport } from './transport';

export const DELIVERY_QUEUE = 'webhook-delivery';
/**
 * Deliveries per batch, and batches in flight per process: four in the lane and four among the
 * pg-boss workers (retries, and a backlog beyond the lane's room); while one batch waits on the
 * database (claiming, recording), the others post.
 */
const BATCH_SIZE = 100;
const BATCHES_IN_FLIGHT = 4;
/**
 * Keep-alive connections per receiver origin. Enough for a slow receiver to take many POSTs side
 * by side; not one per POST in flight, which would open hundreds of connections to a receiver
 * (often one origin for all subscriptions, such as Zapier's) that answers fast anyway.
 */
const CONNECTIONS_PER_ORIGIN = 64;

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
  /** A pending delivery this long overdue is claimed again (default: 5 job-expiry periods). */
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
      return { rows: result.rows as unknown[] };
    },
  };
}

/**
 * The deliveries of a batch of jobs that are still to be attempted, in one query. A job whose
 * delivery is gone (410, unsubscribed), finished, or superseded by a newer job does nothing;
 * one whose subscription was disabled meanwhile fails it (a redelivery re-enables and resends).
 */
async function claimTargets(
  db: ServerDeps['database']['db'],
  jobs: DeliveryJob[],
): Promise<{ targets: DeliveryTarget[]; disabledWebhooks: string[] }> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select([
      'd.id',
      'd.status',
      'd.job_seq',
      'w.id as webhook_id',
      'w.url',
      'w.secret',
      'w.status as webhook_status',
      'e.type',
      'e.payload',
    ])
    .where(
      'd.id',
      'in',
      jobs.map((j) => j.deliveryId),
    )
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const targets: DeliveryTarget[] = [];
  const disabled = new Set<string>();
  for (const { deliveryId, seq = 0 } of jobs) {
    const row = byId.get(deliveryId);
    if (row?.status !== 'pending' || row.job_seq !== seq) continue;
    if (row.webhook_status !== 'active') disabled.add(row.webhook_id);
    else
      targets.push({ deliveryId, seq, webhookId: row.webhook_id, url: row.url, secret: row.secret, type: row.type, payload: row.payload });
  }
  return { targets, disabledWebhooks: [...disabled] };
}

/** Marks claimed deliveries undispatched again, unless a newer claim owns them. */
async function releaseUnstarted(db: ServerDeps['database']['db'], jobs: DeliveryJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await sql`
    update webhook_deliveries d set dispatched = false
    from unnest(${jobs.map((j) => j.deliveryId)}::text[], ${jobs.map((j) => j.seq ?? 0)}::int[]) as r(id, seq)
    where d.id = r.id and d.job_seq = r.seq and d.status = 'pending'
  `.execute(db);
}

export async function startWebhookDelivery(deps: ServerDeps, options: DeliveryOptions = {}): Promise<WebhookDelivery> {
  const { db } = deps.database;
  const log = deps.logger.child({ component: 'webhooks' });
  const expireSeconds = Math.max(1, Math.round(deps.config.webhookJobExpireSeconds));
  const policy = { allowPrivate: deps.config.allowPrivateWebhooks, allowedPorts: deps.config.webhookAllowedPorts };
  const transport = createTransport({ ...policy, maxSockets: CONNECTIONS_PER_ORIGIN });
  const attemptSettings: AttemptSettings = { transport, timeoutMs: options.timeoutMs ?? 15_000, policy };

  const boss = new PgBoss({
    db: { executeSql: deps.database.executeSql },
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

  const outcomeSettings: OutcomeSettings = {
    scale: options.scheduleScale ?? deps.config.webhookScheduleScale,
    queueRetry: async (trx, deliveryId, seq, at) => {
      await boss.send(DELIVERY_QUEUE, { deliveryId, seq } satisfies DeliveryJob, { startAfter: at, db: inTransaction(trx) });
    },
    log,
  };

  /** Claim, attempt side by side, record in one transaction. */
  async function deliverBatch(jobs: DeliveryJob[]): Promise<void> {
    const { targets, disabledWebhooks } = await claimTargets(db, jobs);
    for (const webhookId of disabledWebhooks) await db.transaction().execute((trx) => failPending(trx, webhookId));
    const attempted: Attempted[] = await Promise.all(
      targets.map(async (target) => ({ target, outcome: await attemptDelivery(target, attemptSettings) })),
    );
    if (log.isLevelEnabled('debug')) {
      for (const { target, outcome } of attempted)
        log.debug({ delivery: target.deliveryId, status: outcome.status, error: outcome.error }, 'webhook attempt');
    }
    await db.transaction().execute((trx) => recordOutcomes(trx, attempted, outcomeSettings));
  }

  // A batch whose recording fails (a database error) is logged and left pending; the sweep claims
  // it again once it is overdue, so it holds up no others.
  const batchFailed = (error: unknown, jobs: DeliveryJob[]): void =>
    log.error({ err: error, deliveries: jobs.map((j) => j.deliveryId) }, 'webhook batch failed; its deliveries will be requeued');
  const lane = createBatchLane<DeliveryJob>({
    batchSize: BATCH_SIZE,
    inFlight: BATCHES_IN_FLIGHT,
    // One round of batches waiting: the dispatcher's claims go on while these post.
    capacity: BATCH_SIZE * BATCHES_IN_FLIGHT,
    run: deliverBatch,
    onError: batchFailed,
  });

  // A full batch is followed at once by the next fetch (burstWhenBatchFull) instead of waiting out
  // the poll interval.
  // One work() per batch in flight rather than localConcurrency, whose workers share one id that
  // notifyWorker wakes only the first of. The dispatcher wakes them all when it has queued jobs,
  // and a full batch wakes the others too (more jobs are likely waiting: retries come due, jobs
  // queued by another instance); so only the first polls often, the rest are a slow fallback.
  const workerIds: string[] = [];
  const wakeWorkers = (): void => {
    for (const id of workerIds) boss.notifyWorker(id);
  };
  for (let i = 0; i < BATCHES_IN_FLIGHT; i++) {
    workerIds.push(
      await boss.work<DeliveryJob>(
        DELIVERY_QUEUE,
        { batchSize: BATCH_SIZE, pollingIntervalSeconds: i === 0 ? 0.5 : 2, burstWhenBatchFull: true },
        async (jobs) => {
          if (jobs.length === BATCH_SIZE) wakeWorkers();
          const batch = jobs.map((j) => j.data);
          await deliverBatch(batch).catch((error: unknown) => batchFailed(error, batch));
        },
      ),
    );
  }

  // The embedded database belongs to this one process (data-dir lock): a claim due now that is
  // still pending was this process's before it stopped without handing it back (a crash). Claimed
  // again at once rather than after staleAfterMs; a new job number makes any job of the old claim
  // a no-op. (On PostgreSQL such claims may be another live instance's: the sweep finds them
  // once they are overdue.)
  if (deps.database.kind === 'pglite') {
    await db
      .updateTable('webhook_deliveries')
      .set({ dispatched: false })
      .where('status', '=', 'pending')
      .where('dispatched', '=', true)
      .where('next_attempt_at', '<=', sql<Date>`now()`)
      .execute();
  }

  const dispatcher = startDispatcher(db, {
    staleAfterMs: options.staleAfterMs ?? 5 * expireSeconds * 1000,
    sweepIntervalMs: options.sweepIntervalMs ?? 1000,
    room: lane.room,
    enqueue: async (trx, queued) => {
      await boss.insert(
        DELIVERY_QUEUE,
        queued.map((d) => ({
          data: { deliveryId: d.id, seq: d.job_seq } satisfies DeliveryJob,
          startAfter: d.next_attempt_at ?? undefined,
        })),
        { db: inTransaction(trx) },
      );
    },
    moved: (taken, queued) => {
      if (taken.length > 0) lane.take(taken.map((d) => ({ deliveryId: d.id, seq: d.job_seq })));
      if (queued > 0) wakeWorkers();
    },
    onError: (error) => log.error({ err: error }, 'webhook dispatch failed; the sweep will retry'),
  });

  return {
    notify: dispatcher.dispatch,
    async stop() {
      await dispatcher.stop();
      // At once and side by side: what the lane never started goes back to the outbox, for the next
      // dispatcher (another instance's, or this one's after a restart); the batches under way, the
      // lane's and the queue's, finish and are recorded (an attempt times out after timeoutMs; the
      // queue's graceful stop waits that long and 5 s more).
      const outcomes = await Promise.allSettled([
        releaseUnstarted(db, lane.close()),
        lane.drained(),
        boss.stop({ graceful: true, timeout: attemptSettings.timeoutMs + 5_000 }),
      ]);
      await transport.close();
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected')
          log.error({ err: outcome.reason }, 'webhook delivery did not stop cleanly; claimed deliveries are claimed again once overdue');
      }
    },
  };
}

/**
 * Webhook delivery: straight from the outbox in the common case, with pg-boss (a PostgreSQL job
 * queue that runs on PGlite and PostgreSQL alike) for what is due later.
 *
 * How an event becomes HTTP requests, and why none is lost:
 * 1. `recordEvent` writes the event and one `webhook_deliveries` row per matching subscription
 *    in the transaction of the change itself (outbox): committed together or not at all.
 * 2. The dispatcher claims due undispatched rows, a bounded number per clinic (FOR NO KEY UPDATE
 *    SKIP LOCKED, so several instances never take the same row), marks them dispatched under a new
 *    job number and, once that commits, hands them to this process's pipeline as far as it has
 *    room. A clinic that already has its share waiting in this process is left in the outbox.
 *    It runs on start, after every write request (notify) and on a short sweep interval.
 * 3. The pipeline (pipeline.ts) attempts each delivery in a fair slot of its own (fair-slots.ts:
 *    clinics and destinations take turns; a slow receiver holds only its own slots) and records
 *    outcomes in batches: each attempt, and per delivery either its end or the next attempt,
 *    queued as a pg-boss job with `startAfter`. A delivery whose destination's circuit is open
 *    (breaker.ts) is recorded as not sent, and goes back to the outbox due when the circuit lets
 *    a probe through (plus a random part of its open period). Jobs the queue fetches go through
 *    the same pipeline.
 * So at every moment a pending delivery is an undispatched row (due now or later), a queued job,
 * or a claimed row waiting in, or attempted by, a live process's pipeline. A claim whose process died without
 * handing it back (a crash) is pending, and overdue `staleAfterMs` later (5 job-expiry periods: 5
 * minutes by default), when any instance's sweep claims it again; on PGlite, whose data directory
 * has one process, the next start claims it again at once. At-least-once, with the delivery id
 * (`webhook-id`) stable across retries.
 *
 * Why the outbox beside the queue: a fan-out's first attempts are most of the traffic, and a
 * round through pg-boss (insert, fetch, complete: three writes of an indexed row per delivery,
 * and a wake-up) cost more database time than recording the attempts themselves; and the claim
 * is fair between clinics where the queue's fetch is first in, first out.
 *
 * Why the outbox rather than `boss.send` inside recordEvent: the outbox row is plain SQL in the
 * caller's transaction, so services need no queue handle and an API server without a worker
 * (QB_WORKER=off) still records everything; the worker process, wherever it runs, fans it out.
 *
 * Two safety nets make the queue's own bookkeeping non-critical:
 * - Every job or claim carries the delivery's `job_seq`, bumped whenever the delivery is claimed
 *   or a retry is queued for it; one whose number is stale does nothing. A redelivery therefore
 *   replaces the pending retry instead of starting a second retry chain beside it.
 * - A pending delivery that is overdue by `staleAfterMs` (its attempt died with its process, pg-boss
 *   gave up after repeated crashes, or someone purged the queue) is claimed again by the sweep.
 */
import type { ServerDeps } from '../context';
import { reclaimAfterCrash, releaseUnstarted } from './claims';
import { startDispatcher, type Dispatcher } from './dispatcher';
import { startJobQueue, type JobQueue } from './job-queue';
import { createPipeline, type DeliveryPipeline, type PipelineSettings } from './pipeline';
import { createTransport, type WebhookTransport } from './transport';

/** Attempts in flight per process; deliveries one clinic may have waiting, and all clinics. */
const SLOTS = 512;
const CLINIC_WAITING = 500;
const CAPACITY = 2_000;
/** Jobs the queue's workers fetch at a time, and how many workers. */
const JOB_BATCH = 100;
const JOB_WORKERS = 2;

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

function pipelineSettings(deps: ServerDeps, options: DeliveryOptions, transport: WebhookTransport): PipelineSettings {
  const { config } = deps;
  const perDestination = config.webhookDestinationConcurrency;
  return {
    attempt: {
      transport,
      timeoutMs: options.timeoutMs ?? 15_000,
      policy: { allowPrivate: config.allowPrivateWebhooks, allowedPorts: config.webhookAllowedPorts },
    },
    scale: options.scheduleScale ?? config.webhookScheduleScale,
    slots: SLOTS,
    perClinic: 2 * perDestination,
    perDestination,
    clinicWaiting: CLINIC_WAITING,
    capacity: CAPACITY,
  };
}

export async function startWebhookDelivery(deps: ServerDeps, options: DeliveryOptions = {}): Promise<WebhookDelivery> {
  const { db } = deps.database;
  const expireSeconds = Math.max(1, Math.round(deps.config.webhookJobExpireSeconds));
  // One keep-alive pool per destination, as many connections as it may have attempts in flight.
  const transport = createTransport({
    allowPrivate: deps.config.allowPrivateWebhooks,
    allowedPorts: deps.config.webhookAllowedPorts,
    maxSockets: deps.config.webhookDestinationConcurrency,
  });
  const settings = pipelineSettings(deps, options, transport);
  const queue = await startJobQueue(deps, expireSeconds);
  const pipeline = createPipeline(deps, settings, queue);
  await queue.work(JOB_WORKERS, JOB_BATCH, pipeline.fromQueue);
  if (deps.database.kind === 'pglite') await reclaimAfterCrash(db);

  const log = deps.logger.child({ component: 'webhooks' });
  const dispatcher = startDispatcher(deps.database, {
    staleAfterMs: options.staleAfterMs ?? 5 * expireSeconds * 1000,
    sweepIntervalMs: options.sweepIntervalMs ?? 1000,
    room: pipeline.room,
    held: pipeline.heldClinics,
    take: pipeline.take,
    onError: (error) => log.error({ err: error }, 'webhook dispatch failed; the sweep will retry'),
  });

  return {
    notify: dispatcher.dispatch,
    stop: () => stopDelivery(deps, { dispatcher, queue, pipeline, transport }, settings.attempt.timeoutMs),
  };
}

/**
 * At once and side by side: what the pipeline never started goes back to the outbox, for the next
 * dispatcher (another instance's, or this one's after a restart); the attempts under way finish
 * and are recorded (an attempt times out after timeoutMs; the queue's workers only hand jobs over,
 * and get as long and 5 s more).
 */
async function stopDelivery(
  deps: ServerDeps,
  parts: { dispatcher: Dispatcher; queue: JobQueue; pipeline: DeliveryPipeline; transport: WebhookTransport },
  timeoutMs: number,
): Promise<void> {
  await parts.dispatcher.stop();
  const outcomes = await Promise.allSettled([
    releaseUnstarted(deps.database.db, parts.pipeline.close()),
    parts.queue.stop(timeoutMs + 5_000),
    parts.pipeline.drained(),
  ]);
  await parts.transport.close();
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      deps.logger
        .child({ component: 'webhooks' })
        .error({ err: outcome.reason }, 'webhook delivery did not stop cleanly; claimed deliveries are claimed again once overdue');
    }
  }
}

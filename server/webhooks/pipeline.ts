/**
 * What happens to a claimed delivery in this process (delivery.ts wires it to the dispatcher and
 * the job queue):
 * 1. intake: claims are loaded in batches, one query per batch (batch-lane.ts), and admitted to
 *    the fair slots, or deferred at once when their destination's circuit is open;
 * 2. fair-slots.ts starts each delivery in a slot of its own, clinics and destinations taking
 *    turns; a delivery that waited long is checked again first (its subscription may have been
 *    deleted or disabled, its key revoked, meanwhile);
 * 3. attempt.ts POSTs it; what the answer says about the destination goes to its circuit
 *    (breaker.ts);
 * 4. outcome-writer.ts records outcomes, deferrals (not sent, retried later) and deliveries
 *    parked for later, in batches.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ServerDeps } from '../context';
import type { Database } from '../db/schema';
import { reportDeliveryState, webhookAttempts, webhookDeliveriesFinished } from '../metrics';
import { attemptDelivery, notSentOutcome, verdictOf, type AttemptSettings, type DeliveryTarget } from './attempt';
import { createBatchLane } from './batch-lane';
import { createBreaker, type Breaker } from './breaker';
import { loadTargets, parkDeliveries, releaseUnstarted, type DeliveryJob, type ParkedDelivery } from './claims';
import { createFairSlots, destinationOf, type SlotItem } from './fair-slots';
import type { JobQueue } from './job-queue';
import { failPending, recordOutcomes, type Attempted } from './outcome';
import { createOutcomeWriter } from './outcome-writer';

export interface PipelineSettings {
  attempt: AttemptSettings;
  /** Multiplies the retry schedule, and the circuit's open periods (within 1 s..30 s for the first). */
  scale: number;
  /** Attempts in flight per process, per clinic, per destination. */
  slots: number;
  perClinic: number;
  perDestination: number;
  /** Deliveries one clinic may have waiting; in all. */
  clinicWaiting: number;
  capacity: number;
  /** Claims waiting to be loaded, at most. */
  intakeCapacity: number;
}

export interface DeliveryPipeline {
  /** How many claims it takes now from the dispatcher. */
  room(): number;
  heldClinics(): string[];
  /** Claims due now, from the dispatcher (at most room()). */
  take(jobs: DeliveryJob[]): void;
  /** Jobs the queue fetched: loaded and admitted before this resolves (a held clinic's are parked). */
  fromQueue(jobs: DeliveryJob[]): Promise<void>;
  /** Takes nothing more; returns the claims never started. */
  close(): DeliveryJob[];
  /** Resolves once everything taken is attempted and recorded (or handed back). */
  drained(): Promise<void>;
}

interface Slot extends SlotItem {
  target: DeliveryTarget;
  parked: number;
  loadedAt: number;
}

const INTAKE_BATCH = 100;
/** A delivery that waited this long for its slot is checked again before it is sent. */
const RECHECK_AFTER_MS = 2_000;
/** Circuit: failures in a row that open it; its first open period, unscaled, and longest. */
const FAILURES_TO_OPEN = 5;
const OPEN_MS = 30_000;
const MAX_OPEN_MS = 10 * 60_000;

const jobOf = (s: Slot): DeliveryJob => ({ deliveryId: s.target.deliveryId, seq: s.target.seq, parked: s.parked });

/** A parked delivery comes back after 1, 2, 4 ... up to 60 s (+0..50 %), the longer the more often it was parked. */
function parkedUntil(slot: Slot, now = Date.now()): ParkedDelivery {
  const delay = Math.min(60_000, 1_000 * 2 ** slot.parked) * (1 + Math.random() / 2);
  return { deliveryId: slot.target.deliveryId, seq: slot.target.seq, at: new Date(now + delay), parked: slot.parked + 1 };
}

/** The outcome writer of the pipeline: attempts, retries and parked deliveries, counted for /metrics. */
function createLogWriter(deps: ServerDeps, scale: number, queue: JobQueue, log: Logger) {
  return createOutcomeWriter<Attempted, ParkedDelivery>({
    db: deps.database.db,
    batchSize: 200,
    lingerMs: 20,
    async write(trx, outcomes, parked) {
      const finished = await recordOutcomes(trx, outcomes, { scale, queueRetries: (t, retries) => queue.enqueue(t, retries), log });
      await parkDeliveries(trx, parked, (t, jobs) => queue.enqueue(t, jobs));
      webhookDeliveriesFinished.inc({ status: 'succeeded' }, finished.succeeded);
      webhookDeliveriesFinished.inc({ status: 'failed' }, finished.failed);
    },
    onError: (error, outcomes, parked) =>
      log.error(
        { err: error, deliveries: [...outcomes.map((o) => o.target.deliveryId), ...parked.map((p) => p.deliveryId)] },
        'recording webhook outcomes failed; those deliveries are claimed again once overdue',
      ),
  });
}

/** Loads claims as slots: the deliveries still to send; those of subscriptions disabled meanwhile are failed. */
function slotLoader(db: Kysely<Database>) {
  return async (jobs: DeliveryJob[]): Promise<Slot[]> => {
    const { targets, disabledWebhooks } = await loadTargets(db, jobs);
    for (const webhookId of disabledWebhooks) await db.transaction().execute((trx) => failPending(trx, webhookId));
    const loadedAt = Date.now();
    return targets.map(({ parked, ...target }) => ({
      target,
      parked,
      loadedAt,
      clinic: target.clinicId,
      destination: destinationOf(target.url),
    }));
  };
}

/** The circuit breaker, its open periods scaled like the retry schedule (the first within 1..30 s). */
function scaledBreaker(scale: number): Breaker {
  const openMs = Math.min(OPEN_MS, Math.max(1_000, OPEN_MS * scale));
  return createBreaker({ failuresToOpen: FAILURES_TO_OPEN, openMs, maxOpenMs: Math.max(openMs, MAX_OPEN_MS * scale) });
}

export function createPipeline(deps: ServerDeps, settings: PipelineSettings, queue: JobQueue): DeliveryPipeline {
  const { db } = deps.database;
  const log = deps.logger.child({ component: 'webhooks' });
  const breaker = scaledBreaker(settings.scale);
  const writer = createLogWriter(deps, settings.scale, queue, log);
  const load = slotLoader(db);
  const recheck = createRecheck(load);

  const slots = createFairSlots<Slot>({
    ...settings,
    breaker,
    async run(slot) {
      if (Date.now() - slot.loadedAt > RECHECK_AFTER_MS && !(await recheck(slot))) return 'unknown';
      const outcome = await attemptDelivery(slot.target, settings.attempt);
      if (log.isLevelEnabled('debug')) log.debug({ delivery: slot.target.deliveryId, status: outcome.status }, 'webhook attempt');
      writer.record({ target: slot.target, outcome });
      return verdictOf(outcome);
    },
    defer(items, pause) {
      webhookAttempts.inc({ outcome: 'circuit_open' }, items.length);
      for (const slot of items) writer.record({ target: slot.target, outcome: notSentOutcome(pause) });
    },
    park: (items) => writer.park(items.map((slot) => parkedUntil(slot))),
    onError: (error, slot) => log.error({ err: error, delivery: slot.target.deliveryId }, 'webhook attempt failed unexpectedly'),
  });
  reportDeliveryState(() => ({ ...slots.stats(), circuitsOpen: breaker.openCount() }));

  /** Loads claims and admits them; what the closed slots refuse goes back to the outbox. */
  const admit = async (jobs: DeliveryJob[], overShare: 'queue' | 'park') =>
    releaseUnstarted(db, slots.admit(await load(jobs), overShare).map(jobOf));
  const intake = createBatchLane<DeliveryJob>({
    batchSize: INTAKE_BATCH,
    inFlight: 2,
    capacity: settings.intakeCapacity,
    run: (jobs) => admit(jobs, 'queue'),
    // A batch that could not be loaded stays claimed: the sweep claims it again once overdue.
    onError: (error, jobs) =>
      log.error(
        { err: error, deliveries: jobs.map((j) => j.deliveryId) },
        'loading webhook deliveries failed; they are claimed again once overdue',
      ),
  });

  return {
    room: intake.room,
    heldClinics: () => slots.heldClinics(),
    take: intake.take,
    fromQueue: (jobs) => admit(jobs, 'park'),
    close: () => [...intake.close(), ...slots.close().map(jobOf)],
    async drained() {
      await intake.drained();
      await slots.drained();
      await writer.flushed();
    },
  };
}

/**
 * Checks slots against the database again just before they are sent, many at a time: while one
 * query runs, the slots asking meanwhile wait for the next. Resolves true to send. If the check
 * fails, the slot is sent anyway (at least once).
 */
function createRecheck(current: (jobs: DeliveryJob[]) => Promise<Slot[]>): (slot: Slot) => Promise<boolean> {
  const asking: Array<{ slot: Slot; answer: (send: boolean) => void }> = [];
  let running = false;
  async function drain(): Promise<void> {
    running = true;
    while (asking.length > 0) {
      const batch = asking.splice(0, INTAKE_BATCH);
      const still = await current(batch.map((a) => jobOf(a.slot))).then(
        (slots) => new Set(slots.map((s) => s.target.deliveryId)),
        () => undefined,
      );
      for (const { slot, answer } of batch) answer(!still || still.has(slot.target.deliveryId));
    }
    running = false;
  }
  return (slot) =>
    new Promise((answer) => {
      asking.push({ slot, answer });
      if (!running) void drain();
    });
}

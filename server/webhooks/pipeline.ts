/**
 * What happens to a claimed delivery in this process (delivery.ts wires it to the dispatcher and
 * the job queue):
 * 1. intake: the dispatcher's claims arrive with what they send (the claim's own statement
 *    returns it); the job queue's are loaded, one query per batch it fetched. Each is admitted
 *    to the fair slots; a delivery whose destination's circuit is open is recorded as not sent at
 *    once, and one of a clinic that already has its share waiting goes back to the outbox;
 * 2. fair-slots.ts starts each delivery in a slot of its own, clinics and destinations taking
 *    turns; a delivery that waited long is checked again first (its subscription may have been
 *    deleted or disabled, its key revoked, meanwhile);
 * 3. attempt.ts POSTs it; what the answer says about the destination goes to its circuit
 *    (breaker.ts);
 * 4. outcome-writer.ts records outcomes, and the not sent, in batches.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ServerDeps } from '../context';
import type { Database } from '../db/schema';
import { reportDeliveryState, webhookAttempts, webhookDeliveriesFinished } from '../metrics';
import { attemptDelivery, notSentOutcome, verdictOf, type AttemptSettings, type DeliveryTarget } from './attempt';
import { createBatchLane } from './batch-lane';
import { createBreaker, type Breaker } from './breaker';
import { loadTargets, releaseUnstarted, targetOf, type ClaimedRow, type DeliveryJob } from './claims';
import { createFairSlots, destinationOf, type SlotItem } from './fair-slots';
import type { JobQueue } from './job-queue';
import { failPending, recordOutcomes, type Attempted } from './outcome';
import { createOutcomeWriter } from './outcome-writer';
import { createPauser } from './pauser';

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
}

export interface DeliveryPipeline {
  /** How many claims it takes now from the dispatcher. */
  room(): number;
  heldClinics(): string[];
  /** Claims due now, from the dispatcher. */
  take(claimed: ClaimedRow[]): void;
  /** Jobs the queue fetched: loaded and admitted before this resolves (a held clinic's go back to the outbox). */
  fromQueue(jobs: DeliveryJob[]): Promise<void>;
  /** Takes nothing more; returns the claims never started. */
  close(): DeliveryJob[];
  /** Resolves once everything taken is attempted and recorded (or handed back). */
  drained(): Promise<void>;
}

interface Slot extends SlotItem {
  target: DeliveryTarget;
  loadedAt: number;
}

/** Deliveries checked again in one query, at most. */
const RECHECK_BATCH = 100;
/** A delivery that waited this long for its slot is checked again before it is sent. */
const RECHECK_AFTER_MS = 2_000;
/** Circuit: failures in a row that open it; its first open period, unscaled, and longest. */
const FAILURES_TO_OPEN = 5;
const OPEN_MS = 30_000;
const MAX_OPEN_MS = 10 * 60_000;

const jobOf = (s: Slot): DeliveryJob => ({ deliveryId: s.target.deliveryId, seq: s.target.seq });

function toSlot(target: DeliveryTarget, loadedAt = Date.now()): Slot {
  return { target, loadedAt, clinic: target.clinicId, destination: destinationOf(target.url) };
}

/** The outcome writer of the pipeline: attempts and their retries, finished deliveries counted for /metrics. */
function createLogWriter(deps: ServerDeps, scale: number, queue: JobQueue, log: Logger) {
  return createOutcomeWriter<Attempted>({
    db: deps.database.db,
    batchSize: 100,
    lingerMs: 20,
    async write(trx, outcomes) {
      const finished = await recordOutcomes(trx, outcomes, { scale, queueRetries: (t, retries) => queue.enqueue(t, retries), log });
      webhookDeliveriesFinished.inc({ status: 'succeeded' }, finished.succeeded);
      webhookDeliveriesFinished.inc({ status: 'failed' }, finished.failed);
    },
    onError: (error, outcomes) =>
      log.error(
        { err: error, deliveries: outcomes.map((o) => o.target.deliveryId) },
        'recording webhook outcomes failed; those deliveries are claimed again once overdue',
      ),
  });
}

/** Fails the pending deliveries of subscriptions found disabled (nothing will send them). */
async function failDisabled(db: Kysely<Database>, webhookIds: Iterable<string>): Promise<void> {
  for (const webhookId of webhookIds) await db.transaction().execute((trx) => failPending(trx, [webhookId]));
}

/** Loads jobs as slots: the deliveries still to send; those of subscriptions disabled meanwhile are failed. */
function slotLoader(db: Kysely<Database>) {
  return async (jobs: DeliveryJob[]): Promise<Slot[]> => {
    const { targets, disabledWebhooks } = await loadTargets(db, jobs);
    await failDisabled(db, disabledWebhooks);
    const loadedAt = Date.now();
    return targets.map((target) => toSlot(target, loadedAt));
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
  const recheck = createRecheck(load, settings.slots);
  /** Writes under way outside attempts (handing back, failing disabled), awaited by drained(). */
  const writes = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    const done = work
      .catch((error: unknown) =>
        log.error({ err: error }, 'webhook delivery bookkeeping failed; those deliveries are claimed again once overdue'),
      )
      .finally(() => writes.delete(done));
    writes.add(done);
  };

  const pauser = createPauser(db, track);

  const slots = createFairSlots<Slot>({
    ...settings,
    breaker,
    async run(slot) {
      if (Date.now() - slot.loadedAt > RECHECK_AFTER_MS && !(await recheck(slot))) return 'unknown';
      const outcome = await attemptDelivery(slot.target, settings.attempt);
      if (log.isLevelEnabled('debug')) log.debug({ delivery: slot.target.deliveryId, status: outcome.status }, 'webhook attempt');
      writer.record({ target: slot.target, outcome });
      const verdict = verdictOf(outcome);
      if (verdict === 'down') pauser.failed(slot);
      else if (verdict === 'up') pauser.recovered(slot.destination);
      return verdict;
    },
    defer(items, pause) {
      webhookAttempts.inc({ outcome: 'circuit_open' }, items.length);
      for (const slot of items) writer.record({ target: slot.target, outcome: notSentOutcome(pause) });
      const [first] = items;
      if (first) pauser.pause(first.destination, pause.until, items);
    },
    opened: (destination, pause, slot) => pauser.pause(destination, pause.until, [slot]),
    park: (items) => track(releaseUnstarted(db, items.map(jobOf))),
    onError: (error, slot) => log.error({ err: error, delivery: slot.target.deliveryId }, 'webhook attempt failed unexpectedly'),
  });
  reportDeliveryState(() => ({ ...slots.stats(), circuitsOpen: breaker.openCount() }));
  /** Admits slots; what the closed slots refuse goes back to the outbox. */
  const admit = (loaded: Slot[], overShare: 'queue' | 'park') => releaseUnstarted(db, slots.admit(loaded, overShare).map(jobOf));

  return {
    room: () => Math.max(0, settings.capacity - slots.stats().waiting),
    heldClinics: () => [...slots.heldClinics(), ...pauser.moving()],
    take(claimed) {
      const disabled = new Set(claimed.filter((c) => c.webhook_status !== 'active').map((c) => c.webhook_id));
      if (disabled.size > 0) track(failDisabled(db, disabled));
      const active = claimed.filter((c) => c.webhook_status === 'active');
      track(
        admit(
          active.map((c) => toSlot(targetOf(c))),
          'queue',
        ),
      );
    },
    fromQueue: async (jobs) => admit(await load(jobs), 'park'),
    close: () => slots.close().map(jobOf),
    async drained() {
      while (writes.size > 0) await Promise.all(writes);
      await slots.drained();
      await writer.flushed();
    },
  };
}

/**
 * Checks slots against the database again just before they are sent, many at a time (a batch
 * lane with one batch in flight: the slots asking while one query runs go in the next). Resolves
 * true to send. If the check fails, the slot is sent anyway (at least once).
 */
function createRecheck(current: (jobs: DeliveryJob[]) => Promise<Slot[]>, capacity: number): (slot: Slot) => Promise<boolean> {
  type Asking = { slot: Slot; answer: (send: boolean) => void };
  const lane = createBatchLane<Asking>({
    batchSize: RECHECK_BATCH,
    inFlight: 1,
    capacity,
    async run(batch) {
      const still = await current(batch.map((a) => jobOf(a.slot))).then(
        (slots) => new Set(slots.map((s) => s.target.deliveryId)),
        () => undefined,
      );
      for (const { slot, answer } of batch) answer(!still || still.has(slot.target.deliveryId));
    },
    onError: (_error, batch) => {
      for (const { answer } of batch) answer(true);
    },
  });
  return (slot) => new Promise((answer) => lane.take([{ slot, answer }]));
}

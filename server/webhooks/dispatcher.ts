/**
 * The dispatcher: claims undispatched outbox rows (new events, redeliveries) and pending
 * deliveries whose attempt was lost, and hands each on: straight to this process's workers when it
 * is due now and they have room, else to the job queue. It runs on start, whenever a write request
 * notifies it, and on a sweep interval; runs never overlap, and a notification during a run makes
 * it go round once more. New deliveries of a clinic that already has its share waiting in this
 * process (`held`, fair-slots.ts) stay in the outbox until it has room again: a clinic's backlog
 * waits in the database, not in memory, and costs no write.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema';

/** Rows moved per transaction; a full batch means more may be waiting. */
export const DISPATCH_BATCH = 500;

export interface QueuedDelivery {
  id: string;
  job_seq: number;
  next_attempt_at: Date | null;
  /** Due now (by the database's clock), rather than at a later next_attempt_at. */
  due: boolean;
}

export interface DispatcherSettings {
  /** A pending delivery this long overdue is claimed again. */
  staleAfterMs: number;
  sweepIntervalMs: number;
  /** How many due deliveries this process's workers take now, straight from the claim. */
  room(): number;
  /** Clinics whose new deliveries are left in the outbox for now. */
  held(): string[];
  /** Queues one job per delivery the workers do not take, inside the transaction that marked them dispatched. */
  enqueue(trx: Transaction<Database>, deliveries: QueuedDelivery[]): Promise<void>;
  /**
   * After a transaction that moved anything committed: `taken` are for this process's workers to
   * attempt now; `queued` deliveries got jobs. A delivery taken and then lost with its process
   * (never recorded) is pending and overdue: staleAfterMs later, a sweep claims it again.
   */
  moved(taken: QueuedDelivery[], queued: number): void;
  onError(error: unknown): void;
}

export interface Dispatcher {
  /** Run now, or once more after the current run. */
  dispatch(): void;
  stop(): Promise<void>;
}

/** One transaction: takes up to DISPATCH_BATCH rows (skipping rows other instances hold); returns how many. */
async function dispatchOnce(db: Kysely<Database>, settings: DispatcherSettings): Promise<number> {
  const { claimed, taken, queued } = await db.transaction().execute(async (trx) => {
    const staleBefore = new Date(Date.now() - settings.staleAfterMs);
    const held = settings.held();
    // One statement takes the due rows (locked once, in a materialized CTE) and marks them. A new
    // job number supersedes any job already queued (or attempt under way); due no earlier than
    // now, so a claimed delivery is not found overdue again until another staleAfterMs has passed.
    const rows = await trx
      .with(
        (cte) => cte('due').materialized(),
        (qb) =>
          qb
            .selectFrom('webhook_deliveries')
            .select('id')
            .where('status', '=', 'pending')
            .where((eb) => eb.or([eb('dispatched', '=', false), eb('next_attempt_at', '<', staleBefore)]))
            .$if(held.length > 0, (qb) => qb.where(sql<boolean>`not (clinic_id = any(${held}::uuid[]))`))
            .orderBy('created_at')
            .limit(DISPATCH_BATCH)
            .forNoKeyUpdate()
            .skipLocked(),
      )
      .updateTable('webhook_deliveries as d')
      .from('due')
      .whereRef('d.id', '=', 'due.id')
      .set({
        dispatched: true,
        job_seq: sql`d.job_seq + 1`,
        next_attempt_at: sql`greatest(coalesce(d.next_attempt_at, now()), now())`,
      })
      // Due by the clock (not now(), this transaction's start: a write that committed since is due too).
      .returning(['d.id', 'd.job_seq', 'd.next_attempt_at', sql<boolean>`d.next_attempt_at <= clock_timestamp()`.as('due')])
      .execute();
    let room = settings.room();
    const taken: QueuedDelivery[] = [];
    const forQueue: QueuedDelivery[] = [];
    for (const row of rows) {
      if (row.due && room > 0) {
        taken.push(row);
        room--;
      } else forQueue.push(row);
    }
    if (forQueue.length > 0) await settings.enqueue(trx, forQueue);
    return { claimed: rows.length, taken, queued: forQueue.length };
  });
  // Committed: the workers can start on these while the next batch is claimed.
  if (claimed > 0) settings.moved(taken, queued);
  return claimed;
}

export function startDispatcher(db: Kysely<Database>, settings: DispatcherSettings): Dispatcher {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function run(): Promise<void> {
    try {
      do {
        again = false;
        let n: number;
        do {
          n = await dispatchOnce(db, settings);
        } while (n === DISPATCH_BATCH && !stopped);
      } while (again && !stopped);
    } catch (error) {
      if (!stopped) settings.onError(error);
    } finally {
      running = undefined;
    }
  }

  const dispatch = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = run();
  };

  dispatch();
  const sweep = setInterval(dispatch, settings.sweepIntervalMs);
  sweep.unref();
  return {
    dispatch,
    async stop() {
      stopped = true;
      clearInterval(sweep);
      await running;
    },
  };
}

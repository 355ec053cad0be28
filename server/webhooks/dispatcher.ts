/**
 * The dispatcher: claims due outbox rows (new events, redeliveries, deliveries held back until
 * later) and pending deliveries whose attempt was lost, and hands them to this process's pipeline
 * with everything it takes to send them. It runs on start, whenever a write request notifies it,
 * and on a sweep interval; runs never overlap, and a notification during a run makes it go round
 * once more; a run claims batch after batch while it finds rows and the pipeline has room.
 *
 * Fair between clinics: a claim takes at most PER_CLINIC rows of each clinic (the oldest due
 * first), walking the clinics that have rows waiting through an index, so a clinic's backlog,
 * however long, never stands in front of another clinic's new deliveries. A clinic that already
 * has its share waiting in this process (`held`, fair-slots.ts) is skipped: its backlog waits in
 * the database, not in memory, and costs no write.
 */
import type { DatabaseHandle } from '../db/connect';
import type { ClaimedRow } from './claims';

/** Rows claimed per transaction, at most, and of them at most so many of one clinic. */
export const DISPATCH_BATCH = 500;
export const PER_CLINIC = 100;

/** A claimed delivery, with what it takes to send it (so that sending needs no second query). */
export type ClaimedDelivery = ClaimedRow;

export interface DispatcherSettings {
  /** A pending delivery this long overdue is claimed again. */
  staleAfterMs: number;
  sweepIntervalMs: number;
  /** How many deliveries this process's pipeline takes now. */
  room(): number;
  /** Clinics whose deliveries are left in the outbox for now. */
  held(): string[];
  /**
   * After the claim committed: the deliveries for this process to attempt now. A delivery taken
   * and then lost with its process (never recorded) is pending and overdue: staleAfterMs later, a
   * sweep claims it again.
   */
  take(claimed: ClaimedDelivery[]): void;
  onError(error: unknown): void;
}

export interface Dispatcher {
  /** Run now, or once more after the current run. */
  dispatch(): void;
  stop(): Promise<void>;
}

/**
 * The claim, one statement (a prepared one: its plan is made once, not per claim): up to $1 rows
 * (skipping rows other instances hold), returned with their subscription and event. `clinics`
 * walks the distinct clinics with undispatched rows (a loose index scan), less those in $2;
 * `fresh` takes each one's oldest due rows, at most $4; `stale` the claims lost with their process
 * (due before $3); the rows they name are updated through the primary key (\`= any(array(...))\`:
 * joined to the CTEs instead, the planner may hash them and scan the whole table, every claim).
 * A new job number supersedes any job already queued (or attempt under way); due
 * now, so a claimed delivery is not found overdue again until another staleAfterMs has passed.
 * A row whose subscription is paused (its destination's circuit is open: claims.ts) is not
 * claimed but moved where its new deliveries go (due when the pause ends, plus a random part of
 * it), in the same statement: nothing to hand over, defer and record one by one, and a paused
 * backlog is moved at most $4 rows of a clinic per claim.
 */
export const CLAIM = {
  name: 'qb_claim_deliveries',
  text: `
    with recursive clinics(clinic_id) as (
      (select clinic_id from webhook_deliveries where not dispatched and status = 'pending' order by clinic_id limit 1)
      union all
      select (
        select d.clinic_id from webhook_deliveries d
        where not d.dispatched and d.status = 'pending' and d.clinic_id > c.clinic_id
        order by d.clinic_id limit 1
      ) from clinics c where c.clinic_id is not null
    ), fresh as materialized (
      select x.id from clinics c
      cross join lateral (
        select d.id from webhook_deliveries d
        where d.clinic_id = c.clinic_id and not d.dispatched and d.status = 'pending' and d.next_attempt_at <= statement_timestamp()
        order by d.next_attempt_at limit $4::int
        for no key update of d skip locked
      ) x
      where c.clinic_id is not null and not (c.clinic_id = any($2::uuid[]))
      limit $1::int
    ), stale as materialized (
      select id from webhook_deliveries
      where dispatched and status = 'pending' and next_attempt_at < $3::timestamptz
      order by next_attempt_at limit $1::int
      for no key update skip locked
    ), due as materialized (
      select x.id, w.url, w.secret, w.status as webhook_status, w.paused_until,
        coalesce(w.paused_until > now(), false) as paused, e.type, e.payload
      from webhook_deliveries x
      cross join lateral (select url, secret, status, paused_until from webhooks where id = x.webhook_id limit 1) w
      cross join lateral (select type, payload from webhook_events where id = x.event_id limit 1) e
      where x.id = any(array(select id from fresh union select id from stale))
    ), claimed as (
      update webhook_deliveries d
      set dispatched = not due.paused, job_seq = d.job_seq + (not due.paused)::int,
        next_attempt_at = case when due.paused then due.paused_until + (due.paused_until - now()) * random() else now() end
      from due
      where d.id = any(array(select id from due)) and d.id = due.id
      returning d.id, d.job_seq, d.clinic_id, d.webhook_id, due.url, due.secret, due.webhook_status, due.type, due.payload, due.paused
    )
    select id, job_seq, clinic_id, webhook_id, url, secret, webhook_status, type, payload from claimed where not paused`,
};

type Claimer = Pick<DatabaseHandle, 'executePrepared'>;

/** One claim (one statement: atomic by itself), handed over at once; returns how many rows it took. */
async function dispatchOnce(database: Claimer, settings: DispatcherSettings): Promise<number> {
  const limit = Math.min(DISPATCH_BATCH, settings.room());
  if (limit <= 0) return 0;
  const staleBefore = new Date(Date.now() - settings.staleAfterMs).toISOString();
  const { rows } = await database.executePrepared(CLAIM.name, CLAIM.text, [limit, settings.held(), staleBefore, PER_CLINIC]);
  const claimed = rows as ClaimedDelivery[];
  // Committed: the pipeline starts on these while the next batch is claimed.
  if (claimed.length > 0) settings.take(claimed);
  return claimed.length;
}

export function startDispatcher(database: Claimer, settings: DispatcherSettings): Dispatcher {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function run(): Promise<void> {
    try {
      do {
        again = false;
        // On while rows come (the batch was taken, so the pipeline's room and held clinics are
        // current), letting I/O through between batches: on PGlite every statement runs on this
        // thread, and a chain of claims must not hold back the attempts' sockets.
        while (!stopped && (await dispatchOnce(database, settings)) > 0) await new Promise((resolve) => setImmediate(resolve));
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

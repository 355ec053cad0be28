/**
 * Retention: a periodic sweep that prunes what is no longer needed, so no table grows forever.
 * The sweep is a list of prune tasks (server.ts assembles it); each task deletes one bounded
 * batch per call, and the sweep calls it again while it finds something (up to a bound per
 * sweep), yielding between batches: never one huge delete holding locks for long.
 *
 * Every instance sweeps, safely: the tasks here pick their batch with FOR UPDATE SKIP LOCKED, so
 * instances sweeping at once split the work instead of waiting on each other, and deleting what
 * is already gone is a no-op. A task added to the list must be just as safe to run on several
 * instances at once.
 *
 * - Webhook deliveries that finished (succeeded or failed) more than `QB_WEBHOOK_RETENTION_DAYS`
 *   ago, with their attempts (cascade); then events older than that with no delivery left. A
 *   pending delivery, and its event, is never pruned.
 * - `rate_limits` rows of windows that ended (one-minute windows, kept 2 minutes).
 */
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema';

export interface PruneTask {
  /** Names the task in logs and in the sweep's report. */
  name: string;
  /**
   * Deletes one bounded batch; resolves with how many rows it deleted. Anything but a positive
   * number (0, or nothing for a task that prunes all at once) means done for this sweep.
   */
  prune(db: Kysely<Database>): Promise<unknown>;
}

/** What one sweep did, per task. */
export type SweepReport = Record<string, { deleted: number; batches: number }>;

const DELIVERY_BATCH = 500;
const EVENT_BATCH = 1_000;
const RATE_LIMIT_BATCH = 5_000;
/** Batches one task may run per sweep; the next sweep goes on from there. */
const MAX_BATCHES = 200;
/** A rate-limit window (one minute) is kept this long after it starts. */
const RATE_LIMIT_KEEP_MS = 2 * 60_000;

const DAY_MS = 86_400_000;
const deleted = (result: { numAffectedRows?: bigint }) => Number(result.numAffectedRows ?? 0);

/** Finished webhook deliveries and then their events, `days` after they finished. */
export function webhookPruneTasks(days: number): PruneTask[] {
  const cutoff = () => new Date(Date.now() - days * DAY_MS);
  return [
    {
      name: 'webhook deliveries',
      prune: async (db) =>
        deleted(
          await sql`
            delete from webhook_deliveries where id in (
              select id from webhook_deliveries
              where status <> 'pending' and updated_at < ${cutoff()}
              order by updated_at limit ${DELIVERY_BATCH}
              for update skip locked
            )`.execute(db),
        ),
    },
    {
      name: 'webhook events',
      prune: async (db) =>
        deleted(
          await sql`
            delete from webhook_events where id in (
              select e.id from webhook_events e
              where e.created_at < ${cutoff()}
                and not exists (select 1 from webhook_deliveries d where d.event_id = e.id)
              order by e.created_at limit ${EVENT_BATCH}
              for update of e skip locked
            )`.execute(db),
        ),
    },
  ];
}

/** Rate-limit windows that ended (per key and per clinic alike). */
export const rateLimitPruneTask: PruneTask = {
  name: 'rate limits',
  prune: async (db) =>
    deleted(
      await sql`
        delete from rate_limits where ctid = any(array(
          select ctid from rate_limits where window_start < ${new Date(Date.now() - RATE_LIMIT_KEEP_MS)}
          limit ${RATE_LIMIT_BATCH} for update skip locked
        ))`.execute(db),
    ),
};

/** Runs every task, batch after batch while it finds something, yielding between batches. */
export async function runRetentionSweep(db: Kysely<Database>, tasks: PruneTask[]): Promise<SweepReport> {
  const report: SweepReport = {};
  for (const task of tasks) {
    const done = { deleted: 0, batches: 0 };
    report[task.name] = done;
    while (done.batches < MAX_BATCHES) {
      const result = await task.prune(db);
      const n = typeof result === 'number' ? result : 0;
      done.batches++;
      done.deleted += n;
      if (n === 0) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return report;
}

export interface RetentionSweep {
  stop(): Promise<void>;
}

/**
 * Sweeps every `intervalSeconds`, the first time after a random part of one interval (so that
 * instances started together do not sweep together). A failed sweep is logged; the next one
 * tries again.
 */
export function startRetentionSweep(db: Kysely<Database>, tasks: PruneTask[], intervalSeconds: number, log: Logger): RetentionSweep {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    timer = setTimeout(() => {
      running = runRetentionSweep(db, tasks)
        .then((report) => log.debug({ report }, 'retention sweep'))
        .catch((error: unknown) => log.error({ err: error }, 'retention sweep failed; the next one tries again'))
        .finally(() => {
          running = undefined;
          if (!stopped) schedule(intervalSeconds * 1000);
        });
    }, ms);
    timer.unref();
  };
  schedule(intervalSeconds * 1000 * (0.5 + Math.random() / 2));
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

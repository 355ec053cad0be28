/**
 * The job queue of retries (a failed attempt's next one, due later): pg-boss, a PostgreSQL job
 * queue that runs on PGlite and PostgreSQL alike. Jobs are inserted in the caller's transaction, so a job exists exactly when the change
 * that queued it committed. A worker hands the jobs it fetches to the delivery pipeline and is
 * done with them once they are taken (delivery.ts: a delivery lost with its process is found
 * overdue and claimed again).
 */
import { CompiledQuery, type Transaction } from 'kysely';
import { PgBoss } from 'pg-boss';
import type { ServerDeps } from '../context';
import type { Database } from '../db/schema';
import type { DeliveryJob } from './claims';

export const DELIVERY_QUEUE = 'webhook-delivery';

/** A job to queue: job number `seq` of the delivery, due at `at` (now when absent). */
export interface QueuedJob {
  deliveryId: string;
  seq: number;
  at?: Date | null;
}

export interface JobQueue {
  enqueue(trx: Transaction<Database>, jobs: QueuedJob[]): Promise<void>;
  /** Starts `workers` workers, each fetching up to `batchSize` due jobs at a time. */
  work(workers: number, batchSize: number, take: (jobs: DeliveryJob[]) => Promise<void>): Promise<void>;
  /** Stops fetching; waits up to timeoutMs for the handlers under way. */
  stop(timeoutMs: number): Promise<void>;
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

export async function startJobQueue(deps: ServerDeps, expireSeconds: number): Promise<JobQueue> {
  const log = deps.logger.child({ component: 'webhooks' });
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
  await boss.createQueue(DELIVERY_QUEUE, { retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: expireSeconds });

  const workerIds: string[] = [];
  const wake = (): void => {
    for (const id of workerIds) boss.notifyWorker(id);
  };
  return {
    async enqueue(trx, jobs) {
      if (jobs.length === 0) return;
      await boss.insert(
        DELIVERY_QUEUE,
        jobs.map((j) => ({ data: { deliveryId: j.deliveryId, seq: j.seq } satisfies DeliveryJob, startAfter: j.at ?? undefined })),
        { db: inTransaction(trx) },
      );
    },
    // One work() per worker rather than localConcurrency, whose workers share one id that
    // notifyWorker wakes only the first of. A full batch wakes the others (more jobs are likely
    // waiting), so only the first polls often; the rest are a slow fallback. A full batch is
    // followed at once by the next fetch (burstWhenBatchFull).
    async work(workers, batchSize, take) {
      for (let i = 0; i < workers; i++) {
        const options = { batchSize, pollingIntervalSeconds: i === 0 ? 0.5 : 2, burstWhenBatchFull: true };
        workerIds.push(
          await boss.work<DeliveryJob>(DELIVERY_QUEUE, options, async (jobs) => {
            if (jobs.length === batchSize) wake();
            await take(jobs.map((j) => j.data));
          }),
        );
      }
    },
    stop: (timeoutMs) => boss.stop({ graceful: true, timeout: timeoutMs }),
  };
}

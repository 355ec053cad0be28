/**
 * Which queued job currently owns a delivery. Every time a job is queued for a delivery (first
 * dispatch, a retry, a redelivery, a requeue of a job that went missing) `job_seq` is bumped and
 * the job carries the new value; a job whose number is no longer current does nothing. So a
 * redelivery never starts a second retry chain next to the first, and requeueing is always safe.
 */
import type { Kysely } from 'kysely';
import { runStatements } from './run-statements';

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    alter table webhook_deliveries add column job_seq integer not null default 0;
    create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'
  `,
  );
}

/**
 * Issue 19 (noisy neighbour on PostgreSQL): the index of pending deliveries by age gets a
 * predicate of its own (`attempt_count >= 0`, true of every row), so that only the statement meant
 * for it (/metrics' count and oldest age) can use it, never the dispatcher's claim. With planner
 * statistics taken while hardly any delivery was pending (a backlog grows faster than autovacuum
 * analyses the table, and a long delivery log's 10 % threshold is far away), the claim's estimates
 * were one row everywhere and its walk over the outbox, its take of each clinic's due rows and its
 * search for lost claims all read this index instead of the outbox's and the claims': every
 * pending delivery, four times per claim (15,000 rows and 30-90 ms per claim once a noisy clinic's
 * backlog was paused, for every clinic's deliveries). Now the claim's only candidates for these
 * conditions are the indexes made for them (migration 009), whatever the statistics say.
 */
import type { Kysely } from 'kysely';
import { runStatements } from './run-statements';

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    drop index webhook_deliveries_pending_age;
    create index webhook_deliveries_pending_age on webhook_deliveries (created_at) where status = 'pending' and attempt_count >= 0
  `,
  );
}

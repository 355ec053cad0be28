/**
 * Issue 19, webhook delivery: indexes for what must stay cheap at any table size.
 * - Pending deliveries by age: /metrics counts them and reads the oldest one's age through this
 *   partial index alone, never touching finished rows.
 * - Finished deliveries by when they finished, each event's deliveries, and events by age: the
 *   retention sweep (server/services/retention.ts) finds what to prune in bounded batches.
 * - Active subscriptions per key: the subscription caps count them when a key subscribes.
 */
import type { Kysely } from 'kysely';
import { runStatements } from './run-statements';

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create index webhook_deliveries_pending_age on webhook_deliveries (created_at) where status = 'pending';
    create index webhook_deliveries_finished on webhook_deliveries (updated_at) where status <> 'pending';
    create index webhook_deliveries_event on webhook_deliveries (event_id);
    create index webhook_events_created on webhook_events (created_at);
    create index webhooks_active_key on webhooks (api_key_id) where status = 'active'
  `,
  );
}

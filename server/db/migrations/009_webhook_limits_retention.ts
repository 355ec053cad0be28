/**
 * Issue 19, webhook delivery: indexes for what must stay cheap at any table size.
 * - The outbox by clinic and due time: the dispatcher walks the clinics with deliveries waiting
 *   and takes each one's oldest due ones (webhooks/dispatcher.ts), so one clinic's backlog never
 *   stands in front of another's; and claimed deliveries by due time, to find claims lost with
 *   their process. They replace the outbox by creation time and all pending by due time.
 * - Pending deliveries by age: /metrics counts them and reads the oldest one's age through this
 *   partial index alone, never touching finished rows.
 * - Finished deliveries by when they finished, each event's deliveries, and events by age: the
 *   retention sweep (server/services/retention.ts) finds what to prune in bounded batches.
 * - Active subscriptions per key: the subscription caps count them when a key subscribes.
 * - `webhooks.paused_until`: while a subscription's destination is held back after repeated
 *   failures (its circuit is open, webhooks/breaker.ts), new deliveries to it are written due
 *   then (plus a random part of the pause) instead of now: they wait in the outbox as a whole,
 *   costing no claim and no write until the destination is tried again.
 */
import type { Kysely } from 'kysely';
import { runStatements } from './run-statements';

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create index webhook_deliveries_outbox on webhook_deliveries (clinic_id, next_attempt_at) where not dispatched and status = 'pending';
    create index webhook_deliveries_claimed on webhook_deliveries (next_attempt_at) where dispatched and status = 'pending';
    drop index webhook_deliveries_undispatched;
    drop index webhook_deliveries_due;
    create index webhook_deliveries_pending_age on webhook_deliveries (created_at) where status = 'pending';
    create index webhook_deliveries_finished on webhook_deliveries (updated_at) where status <> 'pending';
    create index webhook_deliveries_event on webhook_deliveries (event_id);
    create index webhook_events_created on webhook_events (created_at);
    create index webhooks_active_key on webhooks (api_key_id) where status = 'active';
    alter table webhooks add column paused_until timestamptz
  `,
  );
}

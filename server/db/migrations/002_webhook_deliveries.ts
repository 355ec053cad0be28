/** Webhook deliveries (one per event and subscription) and every attempt at them. */
import type { Kysely } from 'kysely';
import { runStatements } from './run-statements';

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table webhook_deliveries (
      id text primary key,
      clinic_id uuid not null references clinics(id) on delete cascade,
      webhook_id uuid not null references webhooks(id) on delete cascade,
      event_id text not null references webhook_events(id) on delete cascade,
      status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
      attempt_count integer not null default 0,
      next_attempt_at timestamptz,
      dispatched boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (webhook_id, event_id)
    );
    create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, created_at desc);
    create index webhook_deliveries_undispatched on webhook_deliveries (created_at) where not dispatched;

    create table webhook_delivery_attempts (
      id uuid primary key default gen_random_uuid(),
      delivery_id text not null references webhook_deliveries(id) on delete cascade,
      attempted_at timestamptz not null,
      response_status integer,
      latency_ms integer not null,
      error text
    );
    create index webhook_delivery_attempts_delivery on webhook_delivery_attempts (delivery_id, attempted_at);

    alter table webhooks add column last_success_at timestamptz;
    alter table webhooks add column failing_since timestamptz
  `,
  );
}

/** The core schema. DDL is plain SQL: one dialect (PostgreSQL) for PGlite and PostgreSQL alike. */
import type { Kysely } from 'kysely';
import { runStatements } from './run-statements';

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create extension if not exists btree_gist;

    create table clinics (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      timezone text not null,
      slot_minutes integer not null default 30 check (slot_minutes between 5 and 240),
      created_at timestamptz not null default now()
    );

    create table opening_hours (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      weekday smallint not null check (weekday between 1 and 7),
      opens_at time not null,
      closes_at time not null check (closes_at > opens_at)
    );
    create index opening_hours_clinic on opening_hours (clinic_id, weekday);

    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      name text not null,
      prefix text not null,
      key_hash text not null unique,
      scopes text[] not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    );
    create index api_keys_clinic on api_keys (clinic_id);

    create table agents (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      name text not null,
      direction text not null check (direction in ('inbound', 'outbound')),
      created_at timestamptz not null default now()
    );
    create index agents_clinic on agents (clinic_id, created_at desc);

    create table leads (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      full_name text,
      phone text,
      email text,
      country text,
      city text,
      language text,
      treatment_interest text,
      notes text,
      source text,
      status text not null default 'new',
      agent_id uuid references agents(id) on delete set null,
      external_source text,
      external_id text,
      external_metadata jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (phone is not null or email is not null),
      unique (clinic_id, external_source, external_id)
    );
    create index leads_clinic_created on leads (clinic_id, created_at desc, id desc);
    create index leads_clinic_email on leads (clinic_id, lower(email));
    create index leads_clinic_phone on leads (clinic_id, phone);

    create table appointments (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      lead_id uuid not null references leads(id) on delete cascade,
      assigned_to uuid references agents(id) on delete set null,
      status text not null default 'confirmed'
        check (status in ('confirmed', 'completed', 'no_show', 'cancelled')),
      scheduled_at timestamptz not null,
      ends_at timestamptz not null,
      title text,
      notes text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      cancelled_at timestamptz,
      check (ends_at > scheduled_at),
      -- Double booking is impossible at the database level, whatever the code does.
      constraint appointments_no_overlap exclude using gist (
        clinic_id with =, tstzrange(scheduled_at, ends_at, '[)') with &&
      ) where (status <> 'cancelled')
    );
    create index appointments_clinic_created on appointments (clinic_id, created_at desc, id desc);
    create index appointments_clinic_time on appointments (clinic_id, scheduled_at);

    create table campaigns (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      name text not null,
      status text not null default 'active' check (status in ('active', 'paused', 'completed')),
      agent_id uuid references agents(id) on delete set null,
      target_country text,
      created_at timestamptz not null default now()
    );
    create index campaigns_clinic on campaigns (clinic_id, created_at desc);

    create table campaign_contacts (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      campaign_id uuid not null references campaigns(id) on delete cascade,
      name text not null,
      phone text not null,
      interest text not null,
      city text not null,
      country text,
      email text,
      language text,
      notes text,
      status text not null default 'pending',
      validation_status text not null,
      validation_messages jsonb not null default '[]',
      attempts integer not null default 0,
      last_attempt_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index campaign_contacts_clinic on campaign_contacts (clinic_id, updated_at desc, id desc);
    create index campaign_contacts_campaign on campaign_contacts (campaign_id);

    create table calendar_blocks (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      external_source text not null,
      external_id text not null,
      starts_at timestamptz not null,
      ends_at timestamptz not null check (ends_at > starts_at),
      title text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (clinic_id, external_source, external_id)
    );
    create index calendar_blocks_clinic_time on calendar_blocks (clinic_id, starts_at);

    create table webhooks (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      api_key_id uuid not null references api_keys(id) on delete cascade,
      url text not null,
      events text[] not null,
      secret text not null,
      status text not null default 'active' check (status in ('active', 'disabled')),
      disabled_reason text,
      created_at timestamptz not null default now()
    );
    create index webhooks_clinic on webhooks (clinic_id);

    create table webhook_events (
      id text primary key,
      clinic_id uuid not null references clinics(id) on delete cascade,
      type text not null,
      -- text, not jsonb: the delivery body is sent byte for byte as it was built
      payload text not null,
      created_at timestamptz not null default now()
    );
    create index webhook_events_clinic on webhook_events (clinic_id, created_at desc);

    create table rate_limits (
      key_id text not null,
      window_start timestamptz not null,
      count integer not null,
      primary key (key_id, window_start)
    );

    create table users (
      id uuid primary key default gen_random_uuid(),
      clinic_id uuid not null references clinics(id) on delete cascade,
      email text not null unique,
      password_hash text not null,
      created_at timestamptz not null default now()
    );
  `,
  );
}

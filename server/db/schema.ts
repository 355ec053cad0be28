/** Kysely table types: the one description of the database that the code compiles against. */
import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp with a database default: optional on insert. */
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface ClinicsTable {
  id: Generated<string>;
  name: string;
  timezone: string;
  slot_minutes: Generated<number>;
  created_at: DefaultedTimestamp;
  /** Bumped by triggers when time zone, slot length or opening hours change (migration 005). */
  calendar_version: Generated<number>;
  data_version: Generated<number>;
}

/** One row per open period of a weekday (ISO: 1 = Monday ... 7 = Sunday), in clinic time. */
export interface OpeningHoursTable {
  id: Generated<string>;
  clinic_id: string;
  weekday: number;
  opens_at: string; // 'HH:MM:SS'
  closes_at: string;
}

export interface ApiKeysTable {
  id: Generated<string>;
  clinic_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: string[];
  created_at: DefaultedTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface AgentsTable {
  id: Generated<string>;
  clinic_id: string;
  name: string;
  direction: 'inbound' | 'outbound';
  created_at: DefaultedTimestamp;
}

export interface LeadsTable {
  id: Generated<string>;
  clinic_id: string;
  full_name: string | null;
  phone: string | null;
  email: string | null;
  country: string | null;
  city: string | null;
  language: string | null;
  treatment_interest: string | null;
  notes: string | null;
  source: string | null;
  status: Generated<string>;
  agent_id: string | null;
  external_source: string | null;
  external_id: string | null;
  external_metadata: Json<Record<string, unknown> | null> | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  // contact_json (text): the lead's part of an appointment's JSON, written by a trigger (migration
  // 023) and read by raw SQL only (services/appointment-json.ts); not a field the code writes.
}

export interface AppointmentsTable {
  id: Generated<string>;
  clinic_id: string;
  lead_id: string;
  assigned_to: string | null;
  status: Generated<string>;
  scheduled_at: Timestamp;
  ends_at: Timestamp;
  title: string | null;
  notes: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  cancelled_at: Timestamp | null;
  // tail_json (text): the appointment's JSON from `status` on, written by a trigger (migration 023)
  // and read by raw SQL only (services/appointment-json.ts); not a field the code writes.
}

export interface CampaignsTable {
  id: Generated<string>;
  clinic_id: string;
  name: string;
  status: Generated<string>;
  agent_id: string | null;
  target_country: string | null;
  created_at: DefaultedTimestamp;
}

export interface CampaignContactsTable {
  id: Generated<string>;
  clinic_id: string;
  campaign_id: string;
  name: string;
  phone: string;
  interest: string;
  city: string;
  country: string | null;
  email: string | null;
  language: string | null;
  notes: string | null;
  status: Generated<string>;
  validation_status: string;
  validation_messages: Json<string[]>;
  attempts: Generated<number>;
  last_attempt_at: Timestamp | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface CalendarBlocksTable {
  id: Generated<string>;
  clinic_id: string;
  external_source: string;
  external_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  title: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface WebhooksTable {
  id: Generated<string>;
  clinic_id: string;
  api_key_id: string;
  url: string;
  events: string[];
  /** The Standard Webhooks secret, `whsec_<base64>`; needed in clear to sign deliveries. */
  secret: string;
  status: Generated<string>;
  disabled_reason: string | null;
  created_at: DefaultedTimestamp;
  last_success_at: Timestamp | null;
  /** Set at the first failure after a success; a subscription failing for days is disabled. */
  failing_since: Timestamp | null;
  /** While its destination's circuit is open: new deliveries are written due then (migration 009). */
  paused_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** One event for one subscription. Its id is the `webhook-id` header: stable across retries. */
export interface WebhookDeliveriesTable {
  id: string; // msg_...
  clinic_id: string;
  webhook_id: string;
  event_id: string;
  status: Generated<string>;
  attempt_count: Generated<number>;
  next_attempt_at: Timestamp | null;
  /** Handed to the job queue (the outbox row has been picked up). */
  dispatched: Generated<boolean>;
  /** Bumped whenever a job is queued for this delivery; only the job carrying it may act. */
  job_seq: Generated<number>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface WebhookDeliveryAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  attempted_at: Timestamp;
  response_status: number | null;
  latency_ms: number;
  error: string | null;
}

/** The transactional outbox: written in the same transaction as the change that caused it. */
export interface WebhookEventsTable {
  id: string; // evt_...
  clinic_id: string;
  type: string;
  /** The whole delivery body, as sent (text keeps its bytes and key order). */
  payload: string;
  created_at: DefaultedTimestamp;
}

/** Fixed one-minute windows per API key; shared by every server instance on one database. */
export interface RateLimitsTable {
  key_id: string;
  window_start: Timestamp;
  count: number;
}

/** The first response to an Idempotency-Key of an API key (migration 008; http/idempotency.ts). */
export interface IdempotencyKeysTable {
  api_key_id: string;
  key: string;
  /** SHA-256 of the method, path and body: the same key with another request is refused. */
  fingerprint: string;
  status: number;
  content_type: string | null;
  body: string;
  created_at: DefaultedTimestamp;
}

/**
 * How many records a clinic holds, kept by the database at each commit (migration 011): kind
 * `appointments` and `campaign_contacts` per status, `leads` with status ''. A list's total.
 */
export interface RecordCountsTable {
  clinic_id: string;
  kind: 'appointments' | 'leads' | 'campaign_contacts';
  status: string;
  n: ColumnType<number, number, number>;
}

export interface UsersTable {
  id: Generated<string>;
  clinic_id: string;
  email: string;
  password_hash: string;
  created_at: DefaultedTimestamp;
}

/** A signed-in dashboard user. `id` is the SHA-256 of the session cookie's value. */
export interface DashboardSessionsTable {
  id: string;
  user_id: string;
  /** The synchronizer token every dashboard form of this session must carry. */
  csrf_token: string;
  created_at: DefaultedTimestamp;
  last_seen_at: DefaultedTimestamp;
  expires_at: Timestamp;
}

/** Failed dashboard sign-ins, counted per email and per address to slow down guessing. */
export interface DashboardLoginFailuresTable {
  id: Generated<string>;
  email: string;
  ip: string;
  attempted_at: DefaultedTimestamp;
}

export interface Database {
  clinics: ClinicsTable;
  opening_hours: OpeningHoursTable;
  api_keys: ApiKeysTable;
  agents: AgentsTable;
  leads: LeadsTable;
  appointments: AppointmentsTable;
  campaigns: CampaignsTable;
  campaign_contacts: CampaignContactsTable;
  calendar_blocks: CalendarBlocksTable;
  webhooks: WebhooksTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
  rate_limits: RateLimitsTable;
  idempotency_keys: IdempotencyKeysTable;
  record_counts: RecordCountsTable;
  users: UsersTable;
  dashboard_sessions: DashboardSessionsTable;
  dashboard_login_failures: DashboardLoginFailuresTable;
}

export type ClinicRow = Selectable<ClinicsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type LeadRow = Selectable<LeadsTable>;
export type AgentRow = Selectable<AgentsTable>;
export type AppointmentRow = Selectable<AppointmentsTable>;
export type CampaignRow = Selectable<CampaignsTable>;
export type CampaignContactRow = Selectable<CampaignContactsTable>;
export type CalendarBlockRow = Selectable<CalendarBlocksTable>;
export type WebhookRow = Selectable<WebhooksTable>;

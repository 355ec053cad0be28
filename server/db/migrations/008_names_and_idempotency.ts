/**
 * Issue 18, server side:
 * - qb_first_name / qb_last_name: a name split at its first run of ASCII white space, exactly as
 *   serialize.ts's splitName does it (the booking statement renders the lead and appointment in SQL).
 * - qb_book_appointment again (replacing migration 007's): the appointment and the lead carry the
 *   additive fields (first/last name, the agent's name, the dashboard `url`, whose base is the new
 *   $14), and lead.updated carries `previous_attributes` (the lead's status before it was booked).
 * - A rename of an agent moves the clinic's data_version (migration 006), since appointments carry
 *   their agent's name and `GET /appointments` may be answered from memory (http/page-cache.ts).
 * - idempotency_keys: the first response to each Idempotency-Key of an API key (http/idempotency.ts).
 */
import { sql, type Kysely } from 'kysely';
import { jsonObjectSql } from './007_book_appointment';

/** The characters that separate words of a name (serialize.ts: SPACES). */
const SPACE_CLASS = String.raw`[ \t\n\r\f\v]`;
const NOT_SPACE_CLASS = String.raw`[^ \t\n\r\f\v]`;
const TRIMMED = `btrim(full_name, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))`;

const NAME_FUNCTIONS = [
  `create function qb_first_name(full_name text) returns text language sql immutable parallel safe as $$
     select substring(${TRIMMED} from '^${NOT_SPACE_CLASS}+')
   $$`,
  `create function qb_last_name(full_name text) returns text language sql immutable parallel safe as $$
     select substring(${TRIMMED} from '^${NOT_SPACE_CLASS}+${SPACE_CLASS}+(.+)$')
   $$`,
];

/** The appointment as toAppointment() makes it, from the inserted row `a`, its lead `l` and the public URL $14. */
export const APPOINTMENT_JSON = jsonObjectSql([
  ['id', 'a.id', 'text'],
  ['lead_id', 'a.lead_id', 'text'],
  ['lead_full_name', 'l.full_name', 'text'],
  ['lead_first_name', 'qb_first_name(l.full_name)', 'text'],
  ['lead_last_name', 'qb_last_name(l.full_name)', 'text'],
  ['lead_phone', 'l.phone', 'text'],
  ['lead_email', 'l.email', 'text'],
  ['assigned_to', 'a.assigned_to', 'text'],
  ['assigned_to_name', '(select name from agents where id = a.assigned_to)', 'text'],
  ['status', 'a.status', 'text'],
  ['scheduled_at', 'a.scheduled_at', 'instant'],
  ['ends_at', 'a.ends_at', 'instant'],
  ['title', 'a.title', 'text'],
  ['notes', 'a.notes', 'text'],
  ['created_at', 'a.created_at', 'instant'],
  ['updated_at', 'a.updated_at', 'instant'],
  ['cancelled_at', 'a.cancelled_at', 'instant'],
  ['url', `$14::text || '/dashboard/appointments/' || a.id`, 'text'],
]);

/** The lead as toLead() makes it, from the updated row `u`. */
export const LEAD_JSON = jsonObjectSql([
  ['id', 'u.id', 'text'],
  ['full_name', 'u.full_name', 'text'],
  ['first_name', 'qb_first_name(u.full_name)', 'text'],
  ['last_name', 'qb_last_name(u.full_name)', 'text'],
  ['phone', 'u.phone', 'text'],
  ['email', 'u.email', 'text'],
  ['country', 'u.country', 'text'],
  ['city', 'u.city', 'text'],
  ['language', 'u.language', 'text'],
  ['treatment_interest', 'u.treatment_interest', 'text'],
  ['notes', 'u.notes', 'text'],
  ['source', 'u.source', 'text'],
  ['status', 'u.status', 'text'],
  ['agent_id', 'u.agent_id', 'text'],
  ['agent_name', '(select name from agents where id = u.agent_id)', 'text'],
  ['external_source', 'u.external_source', 'text'],
  ['external_id', 'u.external_id', 'text'],
  ['external_metadata', 'u.external_metadata', 'json'],
  ['created_at', 'u.created_at', 'instant'],
  ['updated_at', 'u.updated_at', 'instant'],
  ['url', `$14::text || '/dashboard/leads/' || u.id`, 'text'],
]);

/**
 * Migration 007's function with one more parameter, $14 the public URL (QB_PUBLIC_URL), and the
 * lead's previous status in lead.updated: `{"lead": {...}, "previous_attributes": {"status": ...}}`,
 * as JSON.stringify writes buildEnvelope's data. Everything else (checks, lock, insert, events)
 * is as migration 007 explains.
 */
const BOOK_APPOINTMENT = `
  create function qb_book_appointment(
    uuid, uuid, uuid, timestamptz, timestamptz, text, text, boolean, text, text, text, text, timestamptz, text
  ) returns table (lead_found boolean, agent_ok boolean, taken boolean, appointment text, deliveries int)
  language plpgsql as $fn$
  #variable_conflict use_column
  begin
    return query
    with lead as (
      select id, full_name, phone, email, status from leads where id = $2::uuid and clinic_id = $1::uuid
    ), agent as (
      select $3::uuid is null or exists (select from agents where clinic_id = $1::uuid and id = $3::uuid) as ok
    ), busy as (
      select exists (
          select from appointments
          where clinic_id = $1::uuid and status <> 'cancelled'
            and tstzrange(scheduled_at, ends_at, '[)') && tstzrange($4::timestamptz, $5::timestamptz, '[)')
        ) or exists (
          select from calendar_blocks where clinic_id = $1::uuid and starts_at < $5::timestamptz and ends_at > $4::timestamptz
        ) as taken
    ), gate as (
      select pg_advisory_xact_lock(hashtextextended($1::text || '@' || extract(epoch from $4::timestamptz)::text, 0)) as locked
      from agent, busy
      where $8::boolean and agent.ok and not busy.taken and exists (select from lead)
    ), ins as (
      insert into appointments (clinic_id, lead_id, assigned_to, scheduled_at, ends_at, title, notes)
      select $1::uuid, lead.id, $3::uuid, $4::timestamptz, $5::timestamptz, $6::text, $7::text
      from lead, gate
      returning *
    ), booked as (
      update leads set status = 'booked', updated_at = now()
      where id = (select lead_id from ins) and status <> 'booked'
      returning *
    ), appointment as (
      select ${APPOINTMENT_JSON} as json from ins a, lead l
    ), events as (
      select $9::text as id, 'appointment.created' as type, $10::text || json || '}}' as payload, $13::timestamptz as created_at
      from appointment
      union all
      select $11::text, 'lead.updated',
        $12::text || ${LEAD_JSON} || ',"previous_attributes":{"status":' || to_json(l.status)::text || '}}}', $13::timestamptz
      from booked u, lead l
    ), recorded_events as (
      insert into webhook_events (id, clinic_id, type, payload, created_at)
      select id, $1::uuid, type, payload, created_at from events
      returning id, type
    ), recorded_deliveries as (
      insert into webhook_deliveries (id, clinic_id, webhook_id, event_id, next_attempt_at)
      select 'msg_' || replace(gen_random_uuid()::text, '-', ''), w.clinic_id, w.id, e.id, now()
      from recorded_events e join webhooks w on w.clinic_id = $1::uuid and w.status = 'active' and e.type = any(w.events)
      returning id
    )
    select exists (select from lead) as lead_found, (select ok from agent) as agent_ok, (select taken from busy) as taken,
      (select json from appointment) as appointment, (select count(*)::int from recorded_deliveries) as deliveries;
  end $fn$`;

const STATEMENTS = [
  ...NAME_FUNCTIONS,
  `drop function qb_book_appointment(uuid, uuid, uuid, timestamptz, timestamptz, text, text, boolean, text, text, text, text, timestamptz)`,
  BOOK_APPOINTMENT,
  `create constraint trigger agents_data_version after update of name on agents
   deferrable initially deferred for each row execute function qb_clinic_data_changed()`,
  `create table idempotency_keys (
     api_key_id uuid not null references api_keys(id) on delete cascade,
     key text not null,
     fingerprint text not null,
     status int not null,
     content_type text,
     body text not null,
     created_at timestamptz not null default now(),
     primary key (api_key_id, key)
   )`,
  `create index idempotency_keys_created on idempotency_keys (created_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}

/**
 * A booking in one round trip (issue 12). services/appointments.ts calls this function; being
 * PL/pgSQL, its statement is parsed and planned once per connection rather than on every call
 * (PGlite plans every statement it is sent, and planning this one costs more than running it).
 *
 * The JSON of the appointment and of the lead is written here, in SQL, exactly as serialize.ts and
 * JSON.stringify write them (an event payload is stored as text and sent byte for byte), so the
 * events can be recorded by the same statement as the change; the API answer is parsed from the
 * same text. A lead's external_metadata is jsonb's text with the separators' spaces removed: keys
 * in jsonb's order and numbers as jsonb writes them, the same JSON value as JSON.stringify's.
 */
import { sql, type Kysely } from 'kysely';

/** A column rendered as JSON text in SQL, as JSON.stringify writes the value serialize.ts makes of it. */
export type JsonColumn = [key: string, column: string, kind: 'text' | 'instant' | 'json'];

/** An instant's text as `iso()` writes it: UTC, milliseconds (truncated, as the drivers read timestamps). */
export const isoTextSql = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** The same as a JSON string. */
const isoSql = (column: string) => `'"' || ${isoTextSql(column)} || '"'`;

/**
 * A jsonb value as compact JSON text: jsonb's output with the separators' spaces taken out, strings
 * (matched whole, escapes included) kept as they are. Keys come in jsonb's order.
 */
const compactJsonSql = (column: string) => String.raw`regexp_replace(${column}::text, '("(?:[^"\\]|\\.)*")|([,:]) ', '\1\2', 'g')`;

export function jsonObjectSql(columns: JsonColumn[]): string {
  const parts = columns.map(([key, column, kind], i) => {
    const value = kind === 'instant' ? isoSql(column) : kind === 'json' ? compactJsonSql(column) : `to_json(${column})::text`;
    return `'${i === 0 ? '{' : ','}${JSON.stringify(key)}:' || coalesce(${value}, 'null')`;
  });
  return `${parts.join(' || ')} || '}'`;
}

/** The appointment as toAppointment() makes it, from the inserted row `a` and its lead's contact `l`. */
const APPOINTMENT_JSON = jsonObjectSql([
  ['id', 'a.id', 'text'],
  ['lead_id', 'a.lead_id', 'text'],
  ['lead_full_name', 'l.full_name', 'text'],
  ['lead_phone', 'l.phone', 'text'],
  ['lead_email', 'l.email', 'text'],
  ['assigned_to', 'a.assigned_to', 'text'],
  ['status', 'a.status', 'text'],
  ['scheduled_at', 'a.scheduled_at', 'instant'],
  ['ends_at', 'a.ends_at', 'instant'],
  ['title', 'a.title', 'text'],
  ['notes', 'a.notes', 'text'],
  ['created_at', 'a.created_at', 'instant'],
  ['updated_at', 'a.updated_at', 'instant'],
  ['cancelled_at', 'a.cancelled_at', 'instant'],
]);

/** The lead as toLead() makes it, from the updated row `u`. */
const LEAD_JSON = jsonObjectSql([
  ['id', 'u.id', 'text'],
  ['full_name', 'u.full_name', 'text'],
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
  ['external_source', 'u.external_source', 'text'],
  ['external_id', 'u.external_id', 'text'],
  ['external_metadata', 'u.external_metadata', 'json'],
  ['created_at', 'u.created_at', 'instant'],
  ['updated_at', 'u.updated_at', 'instant'],
]);

/**
 * qb_book_appointment: a booking in one statement, so one round trip and no explicit transaction
 * (a statement is atomic): the lead and agent checks, the busy check, the insert, the lead becoming booked, and
 * the appointment.created and lead.updated events with their deliveries. Parameters: $1 clinic,
 * $2 lead, $3 agent or null, $4 start, $5 end, $6 title, $7 notes, $8 whether the checks done
 * without the database passed (else only the lookups run), $9-$10 the appointment.created event's
 * id and envelope text before the object, $11-$12 the same for lead.updated, $13 the events' time.
 *
 * Concurrency: the exclusion constraint decides; a booking that does not see a concurrent one's
 * row fails with exclusion_violation (409 like a busy slot). Bookings of one clinic and start first
 * take a transaction-level advisory lock, so the losers of a race for one slot queue there and
 * fail at once instead of all inserting and then waiting on the winner (or on one another).
 */
const BOOK_APPOINTMENT = `
  create or replace function qb_book_appointment(
    uuid, uuid, uuid, timestamptz, timestamptz, text, text, boolean, text, text, text, text, timestamptz
  ) returns table (lead_found boolean, agent_ok boolean, taken boolean, appointment text, deliveries int)
  language plpgsql as $fn$
  #variable_conflict use_column
  begin
    return query
    with lead as (
      select id, full_name, phone, email from leads where id = $2::uuid and clinic_id = $1::uuid
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
      select $11::text, 'lead.updated', $12::text || ${LEAD_JSON} || '}}', $13::timestamptz
      from booked u
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

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(BOOK_APPOINTMENT).execute(db);
}

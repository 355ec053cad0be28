/**
 * Issue 20, round 9 (`POST /appointments` throughput, PGlite first): the booking's lookups by key.
 *
 * PGlite never analyses its tables, and a generic plan is made without values, so the booking's
 * plans were the planner's guesses on tables it knows nothing about:
 * - the lead (and the agent) was found through an index on `clinic_id` (a tie with the primary key
 *   for a planner without statistics): every lead of the clinic read, with `id` as a filter. Now
 *   only the key is an index condition (`clinic_id is not distinct from`, which no index answers,
 *   is a filter on the one row), so a booking reads one lead however many the clinic has;
 * - the clinic's active subscriptions were read through `webhooks_active_key`: every active
 *   subscription of every clinic, with `clinic_id` as a filter, twice per booking. Now
 *   `webhooks_clinic_active` holds them by clinic;
 * - bitmap scans for one row (the subscriptions, and the count row that qb_count_record moves in the
 *   deferred trigger at each booking's commit): a bitmap heap scan asks the storage for the
 *   table's size (on PGlite a file system call through JavaScript) and builds a bitmap for one row.
 *   Both functions now plan without bitmap scans (`enable_bitmapscan = off`): every lookup in them
 *   is a key or index probe of a few rows.
 * - the events' half of the statement (the clinic's subscriptions, the events, their deliveries)
 *   only for a clinic with an active subscription. A clinic without one (nothing would be
 *   recorded) books with the first half alone: a statement of half the plan, whose start-up (each
 *   node, and each index of the two event tables opened for their inserts) cost as much as its run.
 *   A clinic with one runs migration 012's whole statement, whose own snapshot decides, as before,
 *   which subscriptions get the events and their deliveries (both or neither); a subscription made
 *   active between the check and the statement counts as made after the booking.
 * - the appointment's id is a parameter ($15, and `appointment_ids` of qb_book_appointments):
 *   services/appointments.ts makes it (a random UUID, as gen_random_uuid() made it). PGlite's
 *   gen_random_uuid() opened, read and closed /dev/urandom through JavaScript for each booking.
 * Otherwise the same parameters, result, checks, lock, rows and events as migration 012's
 * qb_book_appointment (and 018's qb_book_appointments).
 */
import { sql, type Kysely } from 'kysely';
import { APPOINTMENT_JSON, LEAD_JSON } from './008_names_and_idempotency';

/** The booking itself (as migration 012's): checks, slot lock, insert, the lead booked, the appointment's JSON. */
export const BOOKING = `
    with lead as (
      select id, full_name, phone, email, status from leads where id = $2::uuid and clinic_id is not distinct from $1::uuid
    ), agent as (
      select $3::uuid is null or exists (select from agents where id = $3::uuid and clinic_id is not distinct from $1::uuid) as ok
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
      insert into appointments (id, clinic_id, lead_id, assigned_to, scheduled_at, ends_at, title, notes)
      select $15::uuid, $1::uuid, lead.id, $3::uuid, $4::timestamptz, $5::timestamptz, $6::text, $7::text
      from lead, gate
      returning *
    ), booked as (
      update leads set status = 'booked', updated_at = now()
      where id = (select lead_id from ins) and status <> 'booked'
      returning *
    ), appointment as (
      select ${APPOINTMENT_JSON} as json from ins a, lead l
    )`;

/** Its answer's first four columns. */
export const ANSWER = `exists (select from lead) as lead_found, (select ok from agent) as agent_ok, (select taken from busy) as taken,
      (select json from appointment) as appointment`;

/** The booking with its events and their deliveries (migration 012's statement). */
export const WITH_EVENTS = `${BOOKING}, subscribed as (
      select distinct unnest(events) as type from webhooks where clinic_id = $1::uuid and status = 'active'
    ), wanted_events as (
      select $9::text as id, 'appointment.created' as type, $10::text || json || '}}' as payload, $13::timestamptz as created_at
      from appointment
      where exists (select from subscribed where type = 'appointment.created')
      union all
      select $11::text, 'lead.updated',
        $12::text || ${LEAD_JSON} || ',"previous_attributes":{"status":' || to_json(l.status)::text || '}}}', $13::timestamptz
      from booked u, lead l
      where exists (select from subscribed where type = 'lead.updated')
    ), recorded_events as (
      insert into webhook_events (id, clinic_id, type, payload, created_at)
      select id, $1::uuid, type, payload, created_at from wanted_events
      returning id, type
    ), recorded_deliveries as (
      insert into webhook_deliveries (id, clinic_id, webhook_id, event_id, next_attempt_at)
      select 'msg_' || replace(gen_random_uuid()::text, '-', ''), w.clinic_id, w.id, e.id, now()
      from recorded_events e join webhooks w on w.clinic_id = $1::uuid and w.status = 'active' and e.type = any(w.events)
      returning id
    )
    select ${ANSWER}, (select count(*)::int from recorded_deliveries) as deliveries`;

/** The booking function over these statement texts (migration 023 writes it again with its own). */
export const bookAppointmentSql = (booking: string, withEvents: string, answer: string) => `
  create function qb_book_appointment(
    uuid, uuid, uuid, timestamptz, timestamptz, text, text, boolean, text, text, text, text, timestamptz, text, uuid
  ) returns table (lead_found boolean, agent_ok boolean, taken boolean, appointment text, deliveries int)
  language plpgsql set plan_cache_mode = force_generic_plan set enable_bitmapscan = off as $fn$
  #variable_conflict use_column
  begin
    if exists (select from webhooks where clinic_id = $1::uuid and status = 'active') then
      return query ${withEvents};
    else
      return query ${booking} select ${answer}, 0;
    end if;
  end $fn$`;
const BOOK_APPOINTMENT = bookAppointmentSql(BOOKING, WITH_EVENTS, ANSWER);

/** Migration 018's, with the appointments' ids. */
const BOOK_APPOINTMENTS = `
  create function qb_book_appointments(
    clinic_ids uuid[], lead_ids uuid[], agent_ids uuid[], starts timestamptz[], ends timestamptz[], titles text[], notes text[],
    checked boolean[], appointment_event_ids text[], appointment_envelopes text[], lead_event_ids text[], lead_envelopes text[],
    event_times timestamptz[], public_urls text[], appointment_ids uuid[]
  ) returns table (ord int, lead_found boolean, agent_ok boolean, taken boolean, appointment text, deliveries int)
  language plpgsql as $fn$
  begin
    for i in 1 .. coalesce(cardinality(clinic_ids), 0) loop
      return query select i, b.lead_found, b.agent_ok, b.taken, b.appointment, b.deliveries
        from qb_book_appointment(clinic_ids[i], lead_ids[i], agent_ids[i], starts[i], ends[i], titles[i], notes[i], checked[i],
          appointment_event_ids[i], appointment_envelopes[i], lead_event_ids[i], lead_envelopes[i], event_times[i], public_urls[i],
          appointment_ids[i]) b;
    end loop;
  end $fn$`;

const STATEMENTS = [
  `create index webhooks_clinic_active on webhooks (clinic_id) where status = 'active'`,
  `drop function qb_book_appointments(uuid[], uuid[], uuid[], timestamptz[], timestamptz[], text[], text[], boolean[], text[], text[],
     text[], text[], timestamptz[], text[])`,
  `drop function qb_book_appointment(uuid, uuid, uuid, timestamptz, timestamptz, text, text, boolean, text, text, text, text, timestamptz, text)`,
  BOOK_APPOINTMENT,
  BOOK_APPOINTMENTS,
  `alter function qb_count_record(text, uuid, text, int) set enable_bitmapscan = off`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}

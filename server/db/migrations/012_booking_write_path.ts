/**
 * Issue 20, the booking's write path (`POST /appointments`):
 * - qb_book_appointment again (same parameters and result as migration 008's): an event is
 *   recorded in `webhook_events` only when an active subscription of the clinic wants its type,
 *   in the same statement that queues its deliveries. An event row without deliveries was never
 *   read (the dispatcher, the delivery log and the retention sweep all read events through their
 *   deliveries), so a clinic without webhooks now writes the appointment (and its lead) and
 *   nothing else. Which subscriptions get an event is unchanged: those active in the booking
 *   statement's snapshot, the one set that decides both the event row and its deliveries (a
 *   subscription committed after the statement started gets neither, as before: see the README's
 *   "Webhook delivery").
 * - The function plans its statement once (`plan_cache_mode = force_generic_plan`): PostgreSQL
 *   kept choosing a custom plan, planned on every call. Every lookup in it is by key or index probe
 *   on the clinic, so the generic plan is the custom one.
 */
import { sql, type Kysely } from 'kysely';
import { APPOINTMENT_JSON, LEAD_JSON } from './008_names_and_idempotency';

/** Migration 008's function; what changed is `wanted_events` and the plan setting. */
const BOOK_APPOINTMENT = `
  create or replace function qb_book_appointment(
    uuid, uuid, uuid, timestamptz, timestamptz, text, text, boolean, text, text, text, text, timestamptz, text
  ) returns table (lead_found boolean, agent_ok boolean, taken boolean, appointment text, deliveries int)
  language plpgsql set plan_cache_mode = force_generic_plan as $fn$
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
    ), subscribed as (
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
    select exists (select from lead) as lead_found, (select ok from agent) as agent_ok, (select taken from busy) as taken,
      (select json from appointment) as appointment, (select count(*)::int from recorded_deliveries) as deliveries;
  end $fn$`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(BOOK_APPOINTMENT).execute(db);
}

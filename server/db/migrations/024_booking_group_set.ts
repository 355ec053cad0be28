/**
 * Issue 20, round 11 (`POST /appointments` throughput on PostgreSQL): the bookings of a group that
 * cannot interact, in one statement instead of one per booking.
 *
 * Migration 021's group function runs the booking statement once per booking, each with a snapshot
 * of its own so that it sees the bookings before it. Per booking that is a statement's start-up and
 * end (each node of the plan, each index of `appointments` opened for the insert, the snapshot), a
 * lookup of the clinic's subscriptions, and the lead's update as a statement of its own. Bookings
 * that cannot see each other's effects need none of that one by one: here such a group is booked by
 * one statement over the arrays, which checks each booking (its lead, its agent, its time free) as
 * migration 019's statement does, takes the slots' advisory locks in the group's order, inserts the
 * appointments, books their leads and renders each appointment's JSON.
 *
 * A group takes this path only when no booking in it can change another's answer or rows:
 * - no two bookings of one clinic overlap in time (a booking's `taken` would depend on the other's
 *   insert, which a single statement does not see);
 * - where any clinic of the group has an active subscription, no two bookings have the same lead
 *   (the second booking of a lead records no lead.updated: the lead is already booked). Then the
 *   statement also records the events and deliveries of migration 019's WITH_EVENTS for each
 *   booking whose clinic is subscribed to them, from one reading of the group's subscriptions (a
 *   subscription made active meanwhile counts as made after the group, as it did for a booking).
 *   Without any subscription (nothing to record), a statement without the events' half, whose
 *   start-up costs as much as its run (migration 019), and bookings of one lead may share it: each
 *   reads the lead's contact fields, which no booking changes, and the lead ends `booked` either way.
 * Every other group runs migration 021's loop, unchanged. The rows answered, the appointments, the
 * leads, the counts and the data versions are those of the same bookings sent one after another
 * (booking-groups.test.ts); an error (an overlap committed by another transaction meanwhile) undoes
 * the group, which the caller then sends again one booking at a time, as before.
 *
 * At the group's end, what the deferred triggers did at commit (migration 021) is now two statements
 * for all its clinics instead of qb_bump_data_version and qb_count_record called once per clinic
 * (four statements each, about 45 µs a clinic): the clinics' rows bumped, locked in the group's
 * order (by id, as before), each at most once per transaction (the same `qb.data_version_bumped`
 * setting); the count rows moved by the number each clinic booked, and a clinic's first count row
 * inserted by qb_count_record as before. The function plans without sequential scans as it already
 * plans without bitmap scans: every lookup in it is by key or index, but a generic plan over arrays
 * of unknown length read the whole `clinics` and `record_counts` tables instead of their keys.
 */
import { sql, type Kysely } from 'kysely';
import { LEAD_JSON } from './008_names_and_idempotency';
import { ANSWER, BOOKING, WITH_EVENTS } from './019_booking_lookups';
import { inLoop, VARIABLES } from './021_booking_group_inline';
import { bookedTailSql, storedAppointmentJsonSql, withStoredJson } from './023_stored_json';

/** A text of migration 008 with each booking's own public URL (the single statement's $14) from the booking's row `l`. */
function withRowUrl(text: string): string {
  if (!text.includes('$14::text')) throw new Error('migration 024: a JSON text no longer reads $14::text');
  return text.replaceAll('$14::text', 'l.public_url');
}

/**
 * The group's bookings (the arrays' elements as rows `c`, `ord` from 1): the same checks, lock,
 * insert, lead update and JSON as migration 019's BOOKING, the slots locked in the group's order;
 * each appointment's `tail_json` written and its JSON made of the stored parts, as migration 023's
 * booking statement does (withStoredJson).
 */
const SET_BOOKING = `
    with b as (
      select * from unnest(clinic_ids, lead_ids, agent_ids, starts, ends, titles, notes, checked, public_urls, appointment_ids,
          appointment_event_ids, appointment_envelopes, lead_event_ids, lead_envelopes, event_times)
        with ordinality as b(clinic, lead, agent, s, e, title, note, ok, public_url, appointment_id,
          appointment_event_id, appointment_envelope, lead_event_id, lead_envelope, event_time, ord)
    ), c as (
      select b.*, l.id as lead_id, l.full_name, l.phone, l.email, l.status as lead_status, l.contact_json,
        b.agent is null or exists (select from agents g where g.id = b.agent and g.clinic_id is not distinct from b.clinic) as agent_ok,
        exists (
            select from appointments x
            where x.clinic_id = b.clinic and x.status <> 'cancelled'
              and tstzrange(x.scheduled_at, x.ends_at, '[)') && tstzrange(b.s, b.e, '[)')
          ) or exists (
            select from calendar_blocks k where k.clinic_id = b.clinic and k.starts_at < b.e and k.ends_at > b.s
          ) as taken
      from b left join lateral (
        select id, full_name, phone, email, status, contact_json from leads where id = b.lead and clinic_id is not distinct from b.clinic
      ) l on true
    ), gate as (
      select c.*, pg_advisory_xact_lock(hashtextextended(c.clinic::text || '@' || extract(epoch from c.s)::text, 0)) as locked
      from c
      where c.ok and c.agent_ok and not c.taken and c.lead_id is not null
      order by c.ord
    ), ins as (
      insert into appointments (id, clinic_id, lead_id, assigned_to, scheduled_at, ends_at, title, notes, tail_json)
      select appointment_id, clinic, lead_id, agent, s, e, title, note,
        ${bookedTailSql({ scheduledAt: 's', endsAt: 'e', title: 'title', notes: 'note' })}
      from gate
      returning *
    ), booked as (
      update leads set status = 'booked', updated_at = now()
      where id = any (array(select lead_id from ins)) and status <> 'booked'
      returning *
    ), appointment as (
      select a.id, ${storedAppointmentJsonSql('l.public_url')} as json from ins a join c l on l.appointment_id = a.id
    )`;

/** Each booking's answer, in arrays the function returns as rows, and the group's clinics with the appointments each booked (by id). */
const SET_ANSWER = `
    select array_agg(c.lead_id is not null order by c.ord), array_agg(c.agent_ok order by c.ord), array_agg(c.taken order by c.ord),
      array_agg(p.json order by c.ord), array_agg(0 order by c.ord),
      (select coalesce(array_agg(g.clinic_id order by g.clinic_id), '{}') from (select clinic_id from ins group by clinic_id) g),
      (select coalesce(array_agg(g.n order by g.clinic_id), '{}') from (select clinic_id, count(*)::int as n from ins group by clinic_id) g)
    from c left join appointment p on p.id = c.appointment_id`;

/**
 * The same with the events and their deliveries (migration 019's WITH_EVENTS): appointment.created
 * for each appointment and lead.updated (with the lead's status before) for each lead booked, each
 * where its clinic has an active subscription to it, and a delivery per event and subscription.
 * Only for a group whose leads are all different (a lead booked twice has one lead.updated, the
 * first booking's).
 */
const SET_WITH_EVENTS = `${SET_BOOKING}, subscribed as (
      select w.clinic_id, w.id, w.events from webhooks w where w.clinic_id = any (clinic_ids) and w.status = 'active'
    ), wanted_events as (
      select l.appointment_event_id as id, l.clinic as clinic_id, 'appointment.created' as type,
        l.appointment_envelope || p.json || '}}' as payload, l.event_time as created_at, l.ord, 1 as k
      from appointment p join c l on l.appointment_id = p.id
      where exists (select from subscribed w where w.clinic_id = l.clinic and 'appointment.created' = any (w.events))
      union all
      select l.lead_event_id, l.clinic, 'lead.updated',
        l.lead_envelope || ${withRowUrl(LEAD_JSON)} || ',"previous_attributes":{"status":' || to_json(l.lead_status)::text || '}}}',
        l.event_time, l.ord, 2
      from booked u join c l on l.lead_id = u.id
      where exists (select from subscribed w where w.clinic_id = l.clinic and 'lead.updated' = any (w.events))
    ), recorded_events as (
      insert into webhook_events (id, clinic_id, type, payload, created_at)
      select id, clinic_id, type, payload, created_at from wanted_events order by ord, k
      returning id, clinic_id, type
    ), recorded_deliveries as (
      insert into webhook_deliveries (id, clinic_id, webhook_id, event_id, next_attempt_at)
      select 'msg_' || replace(gen_random_uuid()::text, '-', ''), w.clinic_id, w.id, e.id, now()
      from recorded_events e join subscribed w on w.clinic_id = e.clinic_id and e.type = any (w.events)
      returning event_id
    )
    select array_agg(c.lead_id is not null order by c.ord), array_agg(c.agent_ok order by c.ord), array_agg(c.taken order by c.ord),
      array_agg(p.json order by c.ord), array_agg(d.n order by c.ord),
      (select coalesce(array_agg(g.clinic_id order by g.clinic_id), '{}') from (select clinic_id from ins group by clinic_id) g),
      (select coalesce(array_agg(g.n order by g.clinic_id), '{}') from (select clinic_id, count(*)::int as n from ins group by clinic_id) g)
    from c left join appointment p on p.id = c.appointment_id
      cross join lateral (
        select count(*)::int as n from recorded_deliveries r where r.event_id = c.appointment_event_id or r.event_id = c.lead_event_id
      ) d`;

/** True when no two bookings of one clinic in the group overlap in time. */
const APART = `
    not exists (
      select from unnest(clinic_ids, starts, ends) with ordinality as x(clinic, s, e, ord)
      join unnest(clinic_ids, starts, ends) with ordinality as y(clinic, s, e, ord)
        on y.clinic = x.clinic and y.ord > x.ord and tstzrange(y.s, y.e, '[)') && tstzrange(x.s, x.e, '[)')
    )`;

const BOOK_APPOINTMENTS = `
  create or replace function qb_book_appointments(
    clinic_ids uuid[], lead_ids uuid[], agent_ids uuid[], starts timestamptz[], ends timestamptz[], titles text[], notes text[],
    checked boolean[], appointment_event_ids text[], appointment_envelopes text[], lead_event_ids text[], lead_envelopes text[],
    event_times timestamptz[], public_urls text[], appointment_ids uuid[]
  ) returns table (ord int, lead_found boolean, agent_ok boolean, taken boolean, appointment text, deliveries int)
  language plpgsql set plan_cache_mode = force_generic_plan set enable_bitmapscan = off set enable_seqscan = off as $fn$
  #variable_conflict use_column
  declare
    ${VARIABLES.map(([name, type]) => `${name} ${type};`).join('\n    ')}
    booked_clinics uuid[] := '{}';
    booked_counts int[] := '{}';
    set_found boolean[];
    set_agent_ok boolean[];
    set_taken boolean[];
    set_appointments text[];
    set_deliveries int[];
    subscribed boolean;
    apart boolean;
    bumped text;
    counted uuid[];
    at int;
  begin
    perform set_config('qb.booking_group', 'on', true);
    subscribed := exists (select from webhooks where clinic_id = any (clinic_ids) and status = 'active');
    apart := ${APART} and (not subscribed or (select count(distinct l) = count(l) from unnest(lead_ids) as l));
    if apart then
      if subscribed then
        ${SET_WITH_EVENTS}
          into set_found, set_agent_ok, set_taken, set_appointments, set_deliveries, booked_clinics, booked_counts;
      else
        ${SET_BOOKING} ${SET_ANSWER}
          into set_found, set_agent_ok, set_taken, set_appointments, set_deliveries, booked_clinics, booked_counts;
      end if;
      return query select r.o::int, r.f, r.a, r.t, r.j, r.d
        from unnest(set_found, set_agent_ok, set_taken, set_appointments, set_deliveries) with ordinality as r(f, a, t, j, d, o);
    else
    -- Migration 021's loop (with migration 023's stored parts), each booking a statement that sees the ones before it.
    for i in 1 .. coalesce(cardinality(clinic_ids), 0) loop
      ${VARIABLES.map(([name, , array]) => `${name} := ${array}[i];`).join('\n      ')}
      if exists (select from webhooks where clinic_id = b_clinic and status = 'active') then
        ${inLoop(withStoredJson(WITH_EVENTS))} into lead_found, agent_ok, taken, appointment, deliveries;
      else
        ${inLoop(withStoredJson(BOOKING))} select ${inLoop(ANSWER)}, 0 into lead_found, agent_ok, taken, appointment, deliveries;
      end if;
      ord := i;
      if appointment is not null then
        -- Each clinic once in booked_clinics (the statements below find its count by its place).
        at := array_position(booked_clinics, b_clinic);
        if at is null then
          booked_clinics := booked_clinics || b_clinic;
          booked_counts := booked_counts || 1;
        else
          booked_counts[at] := booked_counts[at] + 1;
        end if;
      end if;
      return next;
    end loop;
    end if;
    perform set_config('qb.booking_group', '', true);
    if cardinality(booked_clinics) = 0 then
      return;
    end if;
    -- What the deferred triggers did at commit for these rows, for all the group's clinics at once:
    -- each clinic's data_version bumped unless this transaction already did (qb_bump_data_version),
    -- rows locked in the group's order; its count of confirmed appointments (the status a booking
    -- inserts: the column's default) moved, and a clinic's first such count inserted (qb_count_record).
    bumped := coalesce(current_setting('qb.data_version_bumped', true), '');
    update clinics set data_version = data_version + 1
    where id in (select id from clinics where id = any (booked_clinics) and strpos(bumped, id::text) = 0 order by id for no key update);
    perform set_config('qb.data_version_bumped',
      bumped || coalesce((select string_agg(c::text || ',', '') from unnest(booked_clinics) as c where strpos(bumped, c::text) = 0), ''), true);
    with moved as (
      update record_counts set n = n + booked_counts[array_position(booked_clinics, clinic_id)]
      where clinic_id = any (booked_clinics) and kind = 'appointments' and status = 'confirmed'
      returning clinic_id
    )
    select coalesce(array_agg(clinic_id), '{}') into counted from moved;
    if cardinality(counted) < cardinality(booked_clinics) then
      for k in 1 .. cardinality(booked_clinics) loop
        if not booked_clinics[k] = any (counted) then
          perform qb_count_record('appointments', booked_clinics[k], 'confirmed', booked_counts[k]);
        end if;
      end loop;
    end if;
  end $fn$`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(BOOK_APPOINTMENTS).execute(db);
}

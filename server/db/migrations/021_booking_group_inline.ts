/**
 * Issue 20, round 10 (`POST /appointments` throughput): a group of bookings
 * (services/booking-groups.ts) without a function call and two deferred triggers per booking.
 *
 * Migration 018's qb_book_appointments ran, for each booking, `select ... from
 * qb_book_appointment(...)`: a statement of its own that starts an executor, calls the function
 * (saving and restoring its two settings), copies its row into a result set and that into the
 * group's. A profile put this wrapping at about 0.12 ms per booking on PostgreSQL, beside 0.20 ms
 * for the booking's own statement. Now the group's loop runs migration 019's booking statements
 * itself: the same text, with the booking's values in variables instead of parameters, so the
 * same checks, lock, insert, JSON, events and deliveries, each booking still a statement with a
 * snapshot of its own (it sees the bookings before it in the group). The settings (generic plans,
 * no bitmap scans) are the group function's, set once per group.
 *
 * Each booking also queued two deferred trigger calls (the appointment's insert and the lead's
 * update, migration 006/011's `qb_clinic_data_changed`), run at the group's commit: one per row,
 * each a PL/pgSQL call that bumps the clinic's `data_version` (once per transaction) and moves the
 * clinic's appointment count by one (an update of the same `record_counts` row per booking). Now
 * the group counts its own bookings: while it runs, a transaction-local setting
 * (`qb.booking_group`) keeps those two triggers from being queued (their `when` condition, tested
 * as each row is written), and at its end the group bumps each clinic it booked in once and moves
 * each of its count rows once by the number of appointments it inserted, clinics in lock order
 * (the group's own order), as the triggers did at its commit. The setting is cleared before the
 * function returns, so any other write in the same transaction is counted by the triggers as
 * before; a group that fails is rolled back with its setting. Same rows, counts and versions as
 * the same bookings sent one after another (booking-groups.test.ts).
 */
import { sql, type Kysely } from 'kysely';
import { ANSWER, BOOKING, WITH_EVENTS } from './019_booking_lookups';

/** The booking's values in the group's loop: qb_book_appointment's parameters $1 to $15, in its order. */
export const VARIABLES = [
  ['b_clinic', 'uuid', 'clinic_ids'],
  ['b_lead', 'uuid', 'lead_ids'],
  ['b_agent', 'uuid', 'agent_ids'],
  ['b_start', 'timestamptz', 'starts'],
  ['b_end', 'timestamptz', 'ends'],
  ['b_title', 'text', 'titles'],
  ['b_notes', 'text', 'notes'],
  ['b_checked', 'boolean', 'checked'],
  ['b_appointment_event_id', 'text', 'appointment_event_ids'],
  ['b_appointment_envelope', 'text', 'appointment_envelopes'],
  ['b_lead_event_id', 'text', 'lead_event_ids'],
  ['b_lead_envelope', 'text', 'lead_envelopes'],
  ['b_event_time', 'timestamptz', 'event_times'],
  ['b_public_url', 'text', 'public_urls'],
  ['b_appointment_id', 'uuid', 'appointment_ids'],
] as const;

/** Migration 019's statement text with `$n` read from the loop's variables. */
export function inLoop(statement: string): string {
  return statement.replace(/\$(\d+)/g, (_, n: string) => {
    const variable = VARIABLES[Number(n) - 1];
    if (!variable) throw new Error(`migration 021: the booking statement has a parameter $${n} the group does not set`);
    return variable[0];
  });
}

/** The group's function over migration 019's statement texts (migration 023 writes it again with its own). */
export const bookAppointmentsSql = (booking: string, withEvents: string, answer: string) => `
  create or replace function qb_book_appointments(
    clinic_ids uuid[], lead_ids uuid[], agent_ids uuid[], starts timestamptz[], ends timestamptz[], titles text[], notes text[],
    checked boolean[], appointment_event_ids text[], appointment_envelopes text[], lead_event_ids text[], lead_envelopes text[],
    event_times timestamptz[], public_urls text[], appointment_ids uuid[]
  ) returns table (ord int, lead_found boolean, agent_ok boolean, taken boolean, appointment text, deliveries int)
  language plpgsql set plan_cache_mode = force_generic_plan set enable_bitmapscan = off as $fn$
  #variable_conflict use_column
  declare
    ${VARIABLES.map(([name, type]) => `${name} ${type};`).join('\n    ')}
    booked_clinics uuid[] := '{}';
    booked_counts int[] := '{}';
  begin
    perform set_config('qb.booking_group', 'on', true);
    for i in 1 .. coalesce(cardinality(clinic_ids), 0) loop
      ${VARIABLES.map(([name, , array]) => `${name} := ${array}[i];`).join('\n      ')}
      if exists (select from webhooks where clinic_id = b_clinic and status = 'active') then
        ${inLoop(withEvents)} into lead_found, agent_ok, taken, appointment, deliveries;
      else
        ${inLoop(booking)} select ${inLoop(answer)}, 0 into lead_found, agent_ok, taken, appointment, deliveries;
      end if;
      ord := i;
      if appointment is null then
        null;
      elsif booked_clinics[cardinality(booked_clinics)] = b_clinic then
        booked_counts[cardinality(booked_counts)] := booked_counts[cardinality(booked_counts)] + 1;
      else
        booked_clinics := booked_clinics || b_clinic;
        booked_counts := booked_counts || 1;
      end if;
      return next;
    end loop;
    perform set_config('qb.booking_group', '', true);
    -- What the deferred triggers did at commit for these rows: each clinic bumped once, its count of
    -- confirmed appointments (the status a booking inserts: the column's default) moved.
    for n in 1 .. cardinality(booked_clinics) loop
      perform qb_bump_data_version(booked_clinics[n]);
      perform qb_count_record('appointments', booked_clinics[n], 'confirmed', booked_counts[n]);
    end loop;
  end $fn$`;

/** Queued unless a booking group is writing (it counts its own rows). */
const UNLESS_GROUP = `when (current_setting('qb.booking_group', true) is distinct from 'on')`;

const BOOK_APPOINTMENTS = bookAppointmentsSql(BOOKING, WITH_EVENTS, ANSWER);

const STATEMENTS = [
  BOOK_APPOINTMENTS,
  `drop trigger appointments_data_version on appointments`,
  `create constraint trigger appointments_data_version after insert or update or delete on appointments
   deferrable initially deferred for each row ${UNLESS_GROUP} execute function qb_clinic_data_changed()`,
  `drop trigger leads_data_version on leads`,
  `create constraint trigger leads_data_version after insert or update or delete on leads
   deferrable initially deferred for each row ${UNLESS_GROUP} execute function qb_clinic_data_changed()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}

/**
 * Issue 20, round 8 (`POST /appointments` throughput): qb_book_appointments books several
 * appointments in one statement, so the bookings of requests that arrive together cost one round
 * trip, one commit (one write-ahead log flush) and one data_version bump per clinic instead of one
 * each (services/booking-groups.ts). Its parameters are qb_book_appointment's fourteen as arrays,
 * one element per booking; it calls qb_book_appointment for each booking in the arrays' order and
 * returns its row with the booking's place (`ord`, from 1).
 *
 * Each booking is a statement of its own inside the function, with a snapshot of its own, so it
 * sees the bookings before it in the group (a second booking of a slot is `taken`), exactly as if
 * they had been sent one after the other; it is the same function, so the same checks, lock,
 * insert, JSON and events. An error in any booking (an exclusion violation with a concurrent
 * transaction, a deadlock) undoes the whole group: the caller then sends each booking again alone.
 */
import { sql, type Kysely } from 'kysely';

const BOOK_APPOINTMENTS = `
  create function qb_book_appointments(
    clinic_ids uuid[], lead_ids uuid[], agent_ids uuid[], starts timestamptz[], ends timestamptz[], titles text[], notes text[],
    checked boolean[], appointment_event_ids text[], appointment_envelopes text[], lead_event_ids text[], lead_envelopes text[],
    event_times timestamptz[], public_urls text[]
  ) returns table (ord int, lead_found boolean, agent_ok boolean, taken boolean, appointment text, deliveries int)
  language plpgsql as $fn$
  begin
    for i in 1 .. coalesce(cardinality(clinic_ids), 0) loop
      return query select i, b.lead_found, b.agent_ok, b.taken, b.appointment, b.deliveries
        from qb_book_appointment(clinic_ids[i], lead_ids[i], agent_ids[i], starts[i], ends[i], titles[i], notes[i], checked[i],
          appointment_event_ids[i], appointment_envelopes[i], lead_event_ids[i], lead_envelopes[i], event_times[i], public_urls[i]) b;
    end loop;
  end $fn$`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(BOOK_APPOINTMENTS).execute(db);
}

/**
 * POST /appointments: the bookings of the requests that arrive together, in one statement (group
 * commit, as the list pages of services/appointment-pages.ts and the key statement of
 * server/http/rate-limit.ts), on both backends. The statement (qb_book_appointments, migration
 * 018, 019) runs qb_book_appointment for each booking in turn, so each sees the ones before it (a
 * second booking of a slot is refused, as if sent after the first), and the group costs one round
 * trip, one commit and one data_version bump per clinic instead of one each.
 *
 * The grouping rules are services/concurrent-groups.ts's: a booking waits at most for the statement
 * already in flight, never for a timer; alone, it is sent at once with the single booking
 * statement it always had; at most 64 bookings per statement. A group is put in lock order
 * (clinic, then start; arrival order within one start) so that two groups under way at once (of
 * several server instances on one PostgreSQL) take the clinics' rows and the slots' advisory locks
 * in the same order. A group whose statement fails for any reason (an overlap committed by another
 * transaction meanwhile, a deadlock, a value the database refuses) is sent again one booking at a
 * time, in the group's order, so an error is only its own request's. Nothing is kept: every booking is checked against the database.
 */
import type { DatabaseHandle } from '../db/connect';
import { groupConcurrent } from './concurrent-groups';

/** qb_book_appointment's parameters, in its order (services/appointments.ts bookAppointment writes them). */
export type BookingValues = [
  clinicId: string,
  leadId: string,
  agentId: string | null,
  start: string,
  end: string,
  title: string | null,
  notes: string | null,
  checked: boolean,
  appointmentEventId: string,
  appointmentEnvelope: string,
  leadEventId: string,
  leadEnvelope: string,
  eventTime: string,
  publicUrl: string,
  appointmentId: string,
];

/** What the booking statement answers for one booking. */
export interface BookingRow {
  lead_found: boolean;
  agent_ok: boolean;
  taken: boolean;
  appointment: string | null;
  deliveries: number;
}

/** Sends one booking's statement (alone or in a group); its row. */
export type BookingStatement = (values: BookingValues) => Promise<BookingRow | undefined>;

type Executor = Pick<DatabaseHandle, 'executePrepared'>;

/**
 * A booking alone is one statement, so one round trip and no explicit transaction: the function of
 * migration 019 (012's, with the appointment's id as a parameter) checks the lead, the agent and that the time is free, inserts the appointment,
 * books the lead, and records appointment.created and lead.updated (with the lead's previous
 * status) with their deliveries. Being a function, its plan is made once per connection (PGlite
 * plans every statement it is sent).
 */
const BOOK_APPOINTMENT = {
  name: 'qb_book_appointment_v3',
  text: 'select * from qb_book_appointment($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)',
};

/** Several bookings: each parameter an array, one element per booking. */
const BOOK_APPOINTMENTS = {
  name: 'qb_book_appointments_v2',
  text:
    'select * from qb_book_appointments($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::timestamptz[], $6::text[], ' +
    '$7::text[], $8::boolean[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[], $14::text[], $15::uuid[])',
};

/** The single booking statement, as every booking was sent before groups (and as an Idempotency-Key request's still is). */
export function bookAlone(database: Executor): BookingStatement {
  return async (values) => {
    const { rows } = await database.executePrepared(BOOK_APPOINTMENT.name, BOOK_APPOINTMENT.text, values);
    return rows[0] as BookingRow | undefined;
  };
}

/** The rows of a group's statement, one per booking in the group's order. */
async function bookGroup(database: Executor, group: BookingValues[]): Promise<BookingRow[]> {
  const columns = (group[0] as BookingValues).map((_, k) => group.map((values) => values[k]));
  const { rows } = await database.executePrepared(BOOK_APPOINTMENTS.name, BOOK_APPOINTMENTS.text, columns);
  const byOrd = new Map((rows as (BookingRow & { ord: number })[]).map(({ ord, ...row }) => [Number(ord), row]));
  return group.map((_, i) => {
    const row = byOrd.get(i + 1);
    if (!row) throw new Error(`booking group: no row for booking ${i + 1} of ${group.length}`);
    return row;
  });
}

/** Lock order: by clinic, then start (bookings of one clinic and start keep their arrival order: a stable sort). */
function lockOrder(a: BookingValues, b: BookingValues): number {
  const [ka, kb] = [`${a[0]} ${a[3]}`, `${b[0]} ${b[3]}`];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export interface BookingGroupsOptions {
  /**
   * Group statements under way at once: a booking that finds them all under way waits for the
   * first to finish, then goes with every booking that came meanwhile. One by default: the
   * bookings then form the largest groups, and two groups of one server never run at once, so
   * they never wait on each other's locks (issue 20, round 8: at 20 connections, one rather than
   * two cut the CPU per booking of both the server and PostgreSQL, on both backends).
   */
  maxInFlight?: number;
  /** Told the number of bookings each statement carried (1: a booking alone, also each of a failed group's, sent again). */
  onStatement?: (bookings: number) => void;
}

/**
 * Bookings of the pool's requests (not of a transaction: an Idempotency-Key request books alone, in
 * its own), grouped by services/concurrent-groups.ts; a group is sent in lock order, and a failed
 * group's bookings are sent again one after another in that order.
 */
export function createBookingGroups(database: Executor, { maxInFlight = 1, onStatement }: BookingGroupsOptions = {}): BookingStatement {
  return groupConcurrent<BookingValues, BookingRow | undefined>({
    maxInFlight,
    onStatement,
    retryAlone: 'in order',
    sendOrder: lockOrder,
    shapeOf: () => 'booking',
    alone: bookAlone(database),
    together: (group) => bookGroup(database, group),
  });
}

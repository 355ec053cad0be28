/** Appointments: book, list, get, reschedule/update, soft-cancel; each change records its event. */
import { randomUUID } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type Transaction } from 'kysely';
import { jsonObjectFrom } from 'kysely/helpers/postgres';
import type { z } from 'zod';
import type { Appointment, AppointmentCreate, AppointmentListQuery, AppointmentUpdate } from '../../contract';
import type { Database } from '../db/schema';
import type { DatabaseHandle } from '../db/connect';
import { invalidInput, notFound, slotUnavailable } from '../errors';
import { envelopeFrame, previousAttributes, recordEvent } from '../webhooks/outbox';
import { assertBookable, bookingProblem, clampInstant, clinicCalendar, parseBoundary } from './booking';
import { type RenderedPage, renderPage } from './appointment-json';
import { bookAlone, type BookingStatement } from './booking-groups';
import {
  countedTotal,
  countOf,
  cursorPage,
  type CursorPage,
  cursorPageQuery,
  emptyPage,
  pageOperands,
  totalAskedAlone,
} from './pagination';
import { toAppointment, type AppointmentWithNames, type RecordLinks } from './serialize';
import { inTransaction, type Db } from './transaction';

export type ListQuery = z.output<typeof AppointmentListQuery>;

const unknownAgent = () =>
  invalidInput('assigned_to does not name an agent of this clinic', [{ path: 'assigned_to', message: 'unknown agent' }]);

async function assertAgent(trx: Transaction<Database>, clinicId: string, agentId: string) {
  const agent = await trx.selectFrom('agents').select('id').where('clinic_id', '=', clinicId).where('id', '=', agentId).executeTakeFirst();
  if (!agent) throw unknownAgent();
}

/** Every appointment is returned with its lead's contact details: a correlated subquery, so no filter needs a join. */
const withLeadContact = (eb: ExpressionBuilder<Database, 'appointments'>) =>
  jsonObjectFrom(eb.selectFrom('leads').select(['full_name', 'phone', 'email']).whereRef('leads.id', '=', 'appointments.lead_id')).as(
    'lead',
  );

/** And with its agent's name: one more correlated subquery. */
const withAgentName = (eb: ExpressionBuilder<Database, 'appointments'>) =>
  eb.selectFrom('agents').select('agents.name').whereRef('agents.id', '=', 'appointments.assigned_to').as('assigned_to_name');

async function findRow(db: Db, clinicId: string, id: string, forUpdate = false): Promise<AppointmentWithNames> {
  let q = db
    .selectFrom('appointments')
    .selectAll()
    .select(withLeadContact)
    .select(withAgentName)
    .where('clinic_id', '=', clinicId)
    .where('id', '=', id);
  if (forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw notFound('Appointment');
  return row;
}

/** A booked appointment, and how many webhook deliveries its events queued (0: nothing to wake the dispatcher for). */
export interface Booked {
  /** The appointment as the API answers it: the JSON text the booking statement wrote (its event's own). */
  json: string;
  deliveries: number;
}

/** Where a booking runs: the database (its pool), or the transaction of an Idempotency-Key request. */
export type BookingDatabase = Pick<DatabaseHandle, 'db' | 'executePrepared'> & { db: Db };

/**
 * Books an appointment with the booking statement (services/booking-groups.ts): `send` is the
 * route's group of concurrent bookings for the pool, or a statement of its own (the transaction
 * of an Idempotency-Key request, and by default).
 */
export async function bookAppointment(
  database: BookingDatabase,
  links: RecordLinks,
  clinicId: string,
  input: AppointmentCreate,
  send: BookingStatement = bookAlone(database),
): Promise<Booked> {
  const calendar = await clinicCalendar(database.db, clinicId);
  const start = Date.parse(input.scheduled_at);
  const end = input.ends_at ? Date.parse(input.ends_at) : start + calendar.slotMinutes * 60_000;
  const problem = bookingProblem(calendar, start, end);
  // With a problem only the lead and agent lookups matter (they are reported first): any valid range.
  const [from, to] = problem ? [0, 0] : [start, end];
  const created = new Date();
  const appointmentEvent = envelopeFrame('appointment.created', created);
  const leadEvent = envelopeFrame('lead.updated', created);
  const row = await send([
    clinicId,
    input.lead_id,
    input.assigned_to ?? null,
    new Date(from).toISOString(),
    new Date(to).toISOString(),
    input.title ?? null,
    input.notes ?? null,
    !problem,
    appointmentEvent.id,
    appointmentEvent.before,
    leadEvent.id,
    leadEvent.before,
    appointmentEvent.created,
    links.publicUrl,
    // The appointment's id, made here rather than by the database's gen_random_uuid() (migration 019).
    randomUUID(),
  ]);
  if (!row?.lead_found) throw notFound('Lead');
  if (!row.agent_ok) throw unknownAgent();
  if (problem) throw problem;
  if (row.taken) throw slotUnavailable();
  if (row.appointment === null) throw new Error('booking: the statement inserted nothing without saying why');
  // The API answer is the event's own text: the two cannot differ (and it is sent as it is).
  return { json: row.appointment, deliveries: Number(row.deliveries) };
}

/**
 * What a list request filters on, as its page statement reads it: values bound as parameters (one
 * request), or columns of the request's row in a statement that pages several requests at once
 * (services/appointment-pages.ts). A filter left out is not in the statement.
 */
export interface AppointmentFilters {
  clinicId: string | Expression<string>;
  status?: string | Expression<string>;
  leadId?: string | Expression<string>;
  from?: Date | Expression<Date>;
  to?: Date | Expression<Date>;
}

/** A request's filters as values: `from` and `to` as instants (a day is midnight clinic time). */
export async function appointmentFilters(db: Db, clinicId: string, q: ListQuery): Promise<AppointmentFilters & { clinicId: string }> {
  const timeZone = q.from || q.to ? (await clinicCalendar(db, clinicId)).timeZone : 'UTC';
  const instant = (value: string | undefined) => (value ? new Date(clampInstant(parseBoundary(value, timeZone))) : undefined);
  return { clinicId, status: q.status, leadId: q.lead_id, from: instant(q.from), to: instant(q.to) };
}

/**
 * The clinic's appointments as a cursor list, newest first, by page number or cursor (with the
 * query's filters). The total is the kept count (migration 011) without filters or with `status`
 * alone; with `lead_id`, `from` or `to` it counts the matching appointments (a lead's, or the
 * window's), never the whole clinic.
 */
export function appointmentList(db: Db, f: AppointmentFilters) {
  let query = db.selectFrom('appointments').where('clinic_id', '=', f.clinicId);
  if (f.status !== undefined) query = query.where('status', '=', f.status);
  if (f.leadId !== undefined) query = query.where('lead_id', '=', f.leadId);
  if (f.from !== undefined) query = query.where('scheduled_at', '>=', f.from);
  if (f.to !== undefined) query = query.where('scheduled_at', '<', f.to);
  const counted = f.leadId === undefined && f.from === undefined && f.to === undefined;
  return {
    db,
    table: 'appointments' as const,
    orderBy: 'created_at' as const,
    query,
    total: counted ? countedTotal(db, f.clinicId, 'appointments', f.status) : countOf(query),
    noun: 'an appointment',
  };
}

/** A page of appointments as objects (the dashboard's lists). */
export async function listAppointments(db: Db, links: RecordLinks, clinicId: string, q: ListQuery): Promise<CursorPage<Appointment>> {
  const list = appointmentList(db, await appointmentFilters(db, clinicId, q));
  return cursorPage(
    {
      ...list,
      clinicId,
      select: (qb) => qb.selectAll().select(withLeadContact).select(withAgentName),
      map: (row) => toAppointment(row, links),
    },
    q,
  );
}

/**
 * The API's answer to GET /appointments as JSON text, written by the database (services/
 * appointment-json.ts): the same bytes as JSON.stringify of listAppointments' page.
 */
export async function listAppointmentsJson(db: Db, links: RecordLinks, clinicId: string, q: ListQuery): Promise<string> {
  return filteredAppointmentsJson(db, links, await appointmentFilters(db, clinicId, q), q);
}

/** listAppointmentsJson with the request's filters already read (appointmentFilters). */
export async function filteredAppointmentsJson(
  db: Db,
  links: RecordLinks,
  filters: AppointmentFilters & { clinicId: string },
  q: ListQuery,
): Promise<string> {
  const list = { ...appointmentList(db, filters), clinicId: filters.clinicId };
  const pageQuery = cursorPageQuery({ ...list, select: (qb) => qb.selectAll() }, q, pageOperands(list, q));
  const { rows } = await renderPage(pageQuery, { page: q.page, perPage: q.per_page, links }).execute(db);
  const rendered = rows[0] as RenderedPage;
  // An empty later or cursor page asks for its total (and its cursor's item) on its own.
  return totalAskedAlone(q, Number(rendered.rows)) ? JSON.stringify(await emptyPage(list, q)) : rendered.body;
}

export async function getAppointment(db: Db, links: RecordLinks, clinicId: string, id: string): Promise<Appointment> {
  return toAppointment(await findRow(db, clinicId, id), links);
}

/**
 * The columns a PATCH changes: only the fields whose value differs from the appointment's, after
 * the checks a change needs (the agent exists; a new time is bookable, ignoring the appointment
 * itself). Moving scheduled_at alone keeps the length.
 */
async function appointmentChanges(
  trx: Transaction<Database>,
  clinicId: string,
  current: AppointmentWithNames,
  patch: AppointmentUpdate,
): Promise<Record<string, unknown>> {
  const changes: Record<string, unknown> = {};
  for (const key of ['title', 'notes', 'assigned_to', 'status'] as const) {
    const given = patch[key];
    // A UUID may come in capitals; the database returns it in lower case. null clears.
    const value = key === 'assigned_to' && typeof given === 'string' ? given.toLowerCase() : given;
    if (value !== undefined && value !== current[key]) changes[key] = value;
  }
  if (changes.assigned_to) await assertAgent(trx, clinicId, changes.assigned_to as string);
  if (patch.scheduled_at !== undefined || patch.ends_at !== undefined) {
    const oldStart = current.scheduled_at.getTime();
    const oldEnd = current.ends_at.getTime();
    const start = patch.scheduled_at ? Date.parse(patch.scheduled_at) : oldStart;
    const end = patch.ends_at ? Date.parse(patch.ends_at) : start + (oldEnd - oldStart);
    if (start !== oldStart || end !== oldEnd) {
      await assertBookable(trx, clinicId, start, end, current.id);
      changes.scheduled_at = new Date(start);
      changes.ends_at = new Date(end);
    }
  }
  return changes;
}

/**
 * Reschedules or edits an appointment, recording appointment.updated with the changed fields'
 * previous values. A PATCH that changes nothing writes nothing and records no event.
 */
export async function updateAppointment(
  db: Db,
  links: RecordLinks,
  clinicId: string,
  id: string,
  patch: AppointmentUpdate,
): Promise<Appointment> {
  return inTransaction(db, async (trx) => {
    const current = await findRow(trx, clinicId, id, true);
    if (current.status === 'cancelled') throw invalidInput('A cancelled appointment cannot be changed; book a new one');
    const before = toAppointment(current, links);
    const changes = await appointmentChanges(trx, clinicId, current, patch);
    if (Object.keys(changes).length === 0) return before;
    const row = await trx
      .updateTable('appointments')
      .set({ ...changes, updated_at: sql`now()` } as never)
      .where('id', '=', id)
      .returningAll()
      .returning(withLeadContact)
      .returning(withAgentName)
      .executeTakeFirstOrThrow();
    const appointment = toAppointment(row, links);
    await recordEvent(trx, clinicId, 'appointment.updated', appointment, previousAttributes(before, appointment));
    return appointment;
  });
}

/** Soft-cancel. Idempotent: cancelling a cancelled appointment returns it and records nothing. */
export async function cancelAppointment(db: Db, links: RecordLinks, clinicId: string, id: string): Promise<Appointment> {
  return inTransaction(db, async (trx) => {
    const current = await findRow(trx, clinicId, id, true);
    if (current.status === 'cancelled') return toAppointment(current, links);
    const row = await trx
      .updateTable('appointments')
      .set({ status: 'cancelled', cancelled_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', id)
      .returningAll()
      .returning(withLeadContact)
      .returning(withAgentName)
      .executeTakeFirstOrThrow();
    const appointment = toAppointment(row, links);
    await recordEvent(trx, clinicId, 'appointment.cancelled', appointment);
    return appointment;
  });
}

import { Appointment, AppointmentCreate, AppointmentListQuery, AppointmentUpdate, IdParam, listOf, CursorPageMeta } from '../../contract';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { apiRoute, json, jsonBody, jsonText } from '../http/route';
import { createAppointmentPages } from '../services/appointment-pages';
import { createBookingGroups } from '../services/booking-groups';
import { bookAppointment, cancelAppointment, getAppointment, updateAppointment } from '../services/appointments';

const tags = ['Appointments'];
const AppointmentList = listOf(Appointment, 'AppointmentList', CursorPageMeta);

const book = apiRoute({
  method: 'post',
  path: '/api/v1/appointments',
  tags,
  operationId: 'bookAppointment',
  summary: 'Book an appointment for a lead',
  description:
    "Books a lead's appointment; a slot from GET /api/v1/availability can be posted as-is. The lead must belong to the clinic: a lead of another clinic, or none, answers 404 not_found (\"Lead not found\"). ends_at defaults to scheduled_at plus the clinic's slot length and must be after scheduled_at; a scheduled_at in the past, or an assigned_to that is not an agent of the clinic, answers 400 invalid_input. The time must lie inside the clinic's opening hours and be free of other (not cancelled) appointments and calendar blocks, else 409 slot_unavailable. Double booking is impossible: the database enforces it, so of simultaneous bookings of one slot exactly one succeeds. Records appointment.created, and lead.updated when the lead's status becomes booked.",
  scope: 'appointments:write',
  idempotent: true,
  answersPlain: true,
  request: { body: jsonBody(AppointmentCreate) },
  responses: { 201: json(Appointment, 'The booked appointment (status confirmed)') },
  errors: [404, 409, 413],
});

const list = apiRoute({
  method: 'get',
  path: '/api/v1/appointments',
  tags,
  operationId: 'listAppointments',
  summary: 'List appointments',
  description: 'Newest first (by creation). `from`/`to` filter on scheduled_at; a day means midnight clinic time.',
  scope: 'appointments:read',
  cached: true,
  answersPlain: true,
  request: { query: AppointmentListQuery },
  responses: { 200: json(AppointmentList, 'A page of appointments') },
});

const get = apiRoute({
  method: 'get',
  path: '/api/v1/appointments/{id}',
  tags,
  operationId: 'getAppointment',
  summary: 'Get an appointment',
  scope: 'appointments:read',
  request: { params: IdParam },
  responses: { 200: json(Appointment, 'The appointment') },
  errors: [404],
});

const update = apiRoute({
  method: 'patch',
  path: '/api/v1/appointments/{id}',
  tags,
  operationId: 'updateAppointment',
  summary: 'Reschedule or update an appointment',
  description:
    'Reschedules (scheduled_at and/or ends_at) or changes title, notes, assigned_to or status (confirmed, completed, no_show). A new time passes the same checks as a booking, ignoring the appointment itself (409 slot_unavailable when taken, blocked or outside opening hours). Moving scheduled_at alone keeps the length. A cancelled appointment cannot be changed (400 invalid_input); cancel with DELETE. Records appointment.updated.',
  scope: 'appointments:write',
  idempotent: true,
  request: { params: IdParam, body: jsonBody(AppointmentUpdate) },
  responses: { 200: json(Appointment, 'The updated appointment') },
  errors: [404, 409, 413],
});

const cancel = apiRoute({
  method: 'delete',
  path: '/api/v1/appointments/{id}',
  tags,
  operationId: 'cancelAppointment',
  summary: 'Soft-cancel an appointment',
  description:
    'Sets status cancelled and cancelled_at, frees the slot, and records appointment.cancelled. Idempotent: repeat calls return the same cancelled appointment with 200 and record nothing.',
  scope: 'appointments:write',
  request: { params: IdParam },
  responses: { 200: json(Appointment, 'The cancelled appointment') },
  errors: [404],
});

export function registerAppointmentRoutes(app: ApiApp, { database, config: links }: ServerDeps): void {
  const { db } = database;
  // The pages of concurrent list requests go out in one statement (services/appointment-pages.ts).
  const listJson = createAppointmentPages(db, links);
  // So do their bookings (services/booking-groups.ts); not an Idempotency-Key request's, which
  // books in the transaction that also keeps its answer.
  const bookings = createBookingGroups(database);
  app.openapi(book, async (c) => {
    const pooled = c.var.database === database;
    const booked = await bookAppointment(c.var.database, links, c.var.auth.clinicId, c.req.valid('json'), pooled ? bookings : undefined);
    c.set('queuedDeliveries', booked.deliveries);
    return jsonText(c, booked.json, 201) as never;
  });
  // The page's JSON is written by the database (services/appointment-json.ts).
  app.openapi(list, async (c) => jsonText(c, await listJson(c.var.auth.clinicId, c.req.valid('query'))) as never);
  app.openapi(get, async (c) => c.json(await getAppointment(db, links, c.var.auth.clinicId, c.req.valid('param').id), 200));
  app.openapi(update, async (c) =>
    c.json(await updateAppointment(c.var.database.db, links, c.var.auth.clinicId, c.req.valid('param').id, c.req.valid('json')), 200),
  );
  app.openapi(cancel, async (c) => c.json(await cancelAppointment(db, links, c.var.auth.clinicId, c.req.valid('param').id), 200));
}

/**
 * An appointment's JSON written by the database (issue 20): the API's list answers with the text
 * the list statement builds, byte for byte what `JSON.stringify(toAppointment(row))` writes
 * (property-tested on both backends, test/appointment-json.test.ts), so the server neither parses
 * the page's rows and timestamps nor serializes them again. The booking statement writes its
 * appointment the same way (migration 008); this is the same rendering over a list's rows.
 */
import { sql, type RawBuilder } from 'kysely';
import { isoTextSql, type JsonColumn } from '../db/migrations/007_book_appointment';
import { recordUrl, type RecordLinks } from './serialize';

/**
 * toAppointment()'s fields in its order, from a row `a` holding the appointment's columns, its
 * lead's `full_name`, `phone`, `email` and its agent's `agent_name`; `url` is added by withUrl.
 */
export const APPOINTMENT_JSON_COLUMNS: readonly (JsonColumn & [string, string, 'text' | 'instant'])[] = [
  ['id', 'a.id', 'text'],
  ['lead_id', 'a.lead_id', 'text'],
  ['lead_full_name', 'a.full_name', 'text'],
  ['lead_first_name', 'qb_first_name(a.full_name)', 'text'],
  ['lead_last_name', 'qb_last_name(a.full_name)', 'text'],
  ['lead_phone', 'a.phone', 'text'],
  ['lead_email', 'a.email', 'text'],
  ['assigned_to', 'a.assigned_to', 'text'],
  ['assigned_to_name', 'a.agent_name', 'text'],
  ['status', 'a.status', 'text'],
  ['scheduled_at', 'a.scheduled_at', 'instant'],
  ['ends_at', 'a.ends_at', 'instant'],
  ['title', 'a.title', 'text'],
  ['notes', 'a.notes', 'text'],
  ['created_at', 'a.created_at', 'instant'],
  ['updated_at', 'a.updated_at', 'instant'],
  ['cancelled_at', 'a.cancelled_at', 'instant'],
];

/**
 * The object as `row_to_json` of a row of the columns under their keys: PostgreSQL writes the keys
 * in order and without spaces, a string escaped as JSON.stringify escapes it, null as null, and an
 * instant's `iso()` text as a string (text and instant columns only: a jsonb column would keep its
 * spaces). One call per row instead of a to_json and two concatenations per field (jsonObjectSql,
 * the booking's renderer): about 4 % less CPU per list request on PostgreSQL (server and database
 * together) and 2 % on PGlite (issue 20, round 5).
 */
const APPOINTMENT_JSON = `(select row_to_json(j)::text from (select ${APPOINTMENT_JSON_COLUMNS.map(
  ([key, column, kind]) => `${kind === 'instant' ? isoTextSql(column) : column} as ${JSON.stringify(key)}`,
).join(', ')}) j)`;

/** A row of a rendered page: the appointment's JSON (without `url`), its id, and what the page query carried. */
export interface RenderedRow {
  json: string;
  id: string;
  __total: number | string;
}

/** The page's rows with their leads' contact details (joined once) and their agents' names (looked up). */
const withNames = (page: RawBuilder<unknown> | { compile(): unknown }) => sql`
  select p.*, l.full_name, l.phone, l.email, (select g.name from agents g where g.id = p.assigned_to) as agent_name
  from (${page}) p left join leads l on l.id = p.lead_id`;

/**
 * The rows of a page query (`page`: appointments' columns, newest first, with `__total`) rendered
 * as JSON text, in the page's order.
 */
export function renderAppointments(page: RawBuilder<unknown> | { compile(): unknown }): RawBuilder<RenderedRow> {
  return sql<RenderedRow>`
    select ${sql.raw(APPOINTMENT_JSON)} as json, a.id, a.__total from (${withNames(page)}) a
    order by a.created_at desc, a.id desc`;
}

/**
 * The same rendering without the order, for a page inside a statement that pages several requests
 * (services/appointment-pages.ts): with `created_at`, for that statement to order its rows by.
 */
export function renderAppointmentsUnordered(page: RawBuilder<unknown> | { compile(): unknown }): RawBuilder<RenderedRow> {
  return sql<RenderedRow>`select ${sql.raw(APPOINTMENT_JSON)} as json, a.id, a.__total, a.created_at from (${withNames(page)}) a`;
}

/** The row's JSON with its `url`, the last field of toAppointment(). */
export const withUrl = (row: RenderedRow, links: RecordLinks): string =>
  `${row.json.slice(0, -1)},"url":${JSON.stringify(recordUrl(links, 'appointments', row.id))}}`;

/**
 * An appointment's JSON written by the database (issue 20): the API's list answers with the text
 * the list statement builds, byte for byte what `JSON.stringify(toAppointment(row))` writes
 * (property-tested on both backends, test/appointment-json.test.ts), so the server neither parses
 * the page's rows and timestamps nor serializes them again. The booking statement writes its
 * appointment the same way (migration 008); this is the same rendering over a list's rows.
 */
import { sql, type Expression, type RawBuilder } from 'kysely';
import { isoTextSql, type JsonColumn } from '../db/migrations/007_book_appointment';
import type { RecordLinks } from './serialize';

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
 * together) and 2 % on PGlite (issue 20, round 5). `url` comes last, as the booking statement
 * writes it (migration 008): the server's public URL (bound) and the dashboard's path.
 */
const APPOINTMENT_FIELDS = APPOINTMENT_JSON_COLUMNS.map(
  ([key, column, kind]) => `${kind === 'instant' ? isoTextSql(column) : column} as ${JSON.stringify(key)}`,
).join(', ');
const appointmentJson = (links: RecordLinks) =>
  sql<string>`(select row_to_json(j)::text from (select ${sql.raw(APPOINTMENT_FIELDS)}, ${links.publicUrl}::text || '/dashboard/appointments/' || a.id as "url") j)`;

/** The page's rows with their leads' contact details (joined once) and their agents' names (looked up). */
const withNames = (page: RawBuilder<unknown> | { compile(): unknown }) => sql`
  select p.*, l.full_name, l.phone, l.email, (select g.name from agents g where g.id = p.assigned_to) as agent_name
  from (${page}) p left join leads l on l.id = p.lead_id`;

/** A page as the database writes it: the API's whole answer, and how many rows the page statement read. */
export interface RenderedPage {
  body: string;
  /** The page's rows plus the one past it, if any (0: an empty page). */
  rows: number | string;
}

/** Where a rendered page's number comes from: a value (one request) or a column of the request's row (a grouped statement). */
export interface PageRendering {
  page: number | Expression<number>;
  perPage: number;
  links: RecordLinks;
}

/**
 * The answer to a list request, the page query (`pageQuery`: appointments' columns, newest first, one
 * row more than the page, each with `__total`) rendered by the database as one text: byte for
 * byte `JSON.stringify` of the page of toAppointment() objects (`{"data":[...],"meta":{"page",
 * "per_page","total","has_more"}}`, property-tested on both backends). One value per request:
 * the server neither joins the rows nor writes the meta, and hands the text to the response as
 * it came (issue 20, round 8: each further copy of a 15 KB page was garbage to collect). An empty
 * page has total 0 (`rows` 0): a caller whose empty page is a later or a cursor page asks for
 * the total on its own.
 */
export function renderPage(pageQuery: RawBuilder<unknown> | { compile(): unknown }, { page, perPage, links }: PageRendering) {
  // One sort (the aggregate's, over the page's rows plus the one past it), then the page's first
  // perPage texts joined: no window numbering the rows and no second sort by that number.
  return sql<RenderedPage>`
    select '{"data":[' || coalesce(array_to_string((array_agg(p.json order by p.created_at desc, p.id desc))[1:${sql.lit(perPage)}], ','), '')
      || ${sql.lit('],"meta":{"page":')} || ${page}::int8::text || ${sql.lit(`,"per_page":${perPage},"total":`)}
      || coalesce(max(p.__total), 0)::text
      || ',"has_more":' || (count(*) > ${sql.lit(perPage)})::text || '}}' as body,
      count(*) as rows
    from (select ${appointmentJson(links)} as json, a.__total, a.created_at, a.id from (${withNames(pageQuery)}) a) p`;
}

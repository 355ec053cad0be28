/**
 * An appointment's JSON written by the database (issue 20): the API's list answers with the text
 * the list statement builds, byte for byte what `JSON.stringify(toAppointment(row))` writes
 * (property-tested on both backends, test/appointment-json.test.ts), so the server neither parses
 * the page's rows and timestamps nor serializes them again. The booking statement writes its
 * appointment from its columns (migration 008); a list's rows are mostly text their writes stored
 * (migration 023), so a page costs the database concatenation rather than formatting.
 */
import { sql, type Expression, type RawBuilder } from 'kysely';
import { appointmentTailFields, leadContactFields } from '../db/migrations/023_stored_json';
import { recordUrl, type RecordLinks } from './serialize';

/**
 * toAppointment()'s keys in the order the pieces below write them (the test holds it to
 * toAppointment's own order): the ids, the lead's stored fragment, the agent, the appointment's
 * stored fragment, the url.
 */
export const APPOINTMENT_JSON_KEYS: readonly string[] = [
  'id',
  'lead_id',
  ...leadContactFields('l').map(([key]) => key),
  'assigned_to',
  'assigned_to_name',
  ...appointmentTailFields('a').map(([key]) => key),
  'url',
];

/**
 * An appointment's JSON from a row `a` holding the appointment's columns (with `tail_json`), its
 * lead's `contact_json` and its agent's `agent_name`: concatenation of text the writes stored
 * (migration 023) and of the few values a write elsewhere can change or that cost nothing to
 * write: the ids (uuid text needs no escaping), the agent's name (agents are renamed, and a rename
 * must not rewrite every appointment of the agent) and the url. The url's prefix is
 * JSON.stringify's own text of it, bound, closed after the id. Instead of row_to_json over 17
 * fields (five to_char, the name split, a JSON string each) per row and request: PostgreSQL's CPU
 * per list request about 45 % lower (BENCHMARKS.md, round 11).
 */
const appointmentJson = (links: RecordLinks) => {
  const urlPrefix = JSON.stringify(recordUrl(links, 'appointments', '')).slice(0, -1);
  return sql<string>`'{"id":"' || a.id || '","lead_id":"' || a.lead_id || '",' || a.contact_json
    || ',"assigned_to":' || coalesce('"' || a.assigned_to || '"', 'null')
    || ',"assigned_to_name":' || coalesce(to_json(a.agent_name)::text, 'null')
    || ',' || a.tail_json || ',"url":' || ${urlPrefix}::text || a.id || '"}'`;
};

/** The page's rows with their leads' stored JSON (joined once) and their agents' names (looked up). */
const withNames = (page: RawBuilder<unknown> | { compile(): unknown }) => sql`
  select p.*, l.contact_json, (select g.name from agents g where g.id = p.assigned_to) as agent_name
  from (${page}) p left join leads l on l.id = p.lead_id`;

/**
 * The page's order, newest first, as the rendering numbers its rows and joins their texts: one text
 * for both, so that the row a page leaves out (the one past it) is always the one it joins last.
 * `created_at` and `id` are the same columns in the rows numbered (`a`) and in their projection (`p`).
 */
const NEWEST_FIRST = sql.raw('created_at desc, id desc');

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
  // One sort (the window's, over the page's rows plus the one past it; the aggregate then reads
  // them in its own order and sorts nothing), and the page's first perPage texts joined by
  // string_agg as they come: no array of the texts built, sliced and printed again, which cost
  // PostgreSQL a printf per element in array_to_string (issue 20, round 18: about 14 µs of its
  // 100 per page, a page statement alone run 5,000 times, the backend's CPU time).
  return sql<RenderedPage>`
    select '{"data":[' || coalesce(string_agg(p.json, ',' order by ${NEWEST_FIRST}) filter (where p.n <= ${sql.lit(perPage)}), '')
      || ${sql.lit('],"meta":{"page":')} || ${page}::int8::text || ${sql.lit(`,"per_page":${perPage},"total":`)}
      || coalesce(max(p.__total), 0)::text
      || ',"has_more":' || (count(*) > ${sql.lit(perPage)})::text || '}}' as body,
      count(*) as rows
    from (select ${appointmentJson(links)} as json, a.__total, a.created_at, a.id,
      row_number() over (order by ${NEWEST_FIRST}) as n from (${withNames(pageQuery)}) a) p`;
}

/**
 * GET /appointments: the pages of the list requests that arrive together, in one statement (group
 * commit, as the key statement of server/http/rate-limit.ts), on both backends. Each request's
 * values are a row of `unnest(...) with ordinality`, and its page is a lateral subquery over that
 * row: the same page statement a request alone sends (services/pagination.ts cursorPageQuery),
 * its parameters read from the row. N concurrent pages then cost one round trip, one pool
 * checkout and one executor start instead of N. Nothing is kept: every request reads its rows
 * from the database.
 *
 * The grouping rules are services/concurrent-groups.ts's: no timer (a request alone is sent at
 * once as it always was: listAppointmentsJson's statement), at most 2 grouped statements in flight
 * of 64 requests, a failed group sent again one request at a time. Requests group only with
 * requests of the same statement shape (page, cursor or later page; per_page; which filters).
 */
import { sql, type Expression } from 'kysely';
import { compiledOnce } from '../db/compiled-query';
import { type RenderedPage, renderPage } from './appointment-json';
import { appointmentFilters, appointmentList, type AppointmentFilters, filteredAppointmentsJson, type ListQuery } from './appointments';
import { type CursorParams, cursorPageQuery, type PageOperands, totalAskedAlone } from './pagination';
import { type ConcurrentGroupsOptions, groupConcurrent } from './concurrent-groups';
import type { RecordLinks } from './serialize';
import type { Db } from './transaction';

/** A list request's answer (the page as JSON text). */
export type AppointmentPages = (clinicId: string, q: ListQuery) => Promise<string>;

/** A list request, as its page statement reads it. */
interface ListRequest {
  q: ListQuery;
  filters: AppointmentFilters & { clinicId: string };
}

/**
 * What a request's grouped statement text depends on, and nothing of its values: which page
 * (the first, a later one, or after a cursor; cursorPageQuery reads no more of its parameters
 * than that), how many per page, and which filters it has.
 */
interface ListShape {
  params: CursorParams;
  filtered: { status: boolean; leadId: boolean; from: boolean; to: boolean };
}

const shapeOfRequest = ({ q, filters: f }: ListRequest): ListShape => ({
  params:
    q.starting_after !== undefined
      ? { page: 1, per_page: q.per_page, starting_after: '' }
      : { page: q.page > 1 ? 2 : 1, per_page: q.per_page },
  filtered: { status: f.status !== undefined, leadId: f.leadId !== undefined, from: f.from !== undefined, to: f.to !== undefined },
});

/**
 * Requests with the same key have the same page statement text (their values differ): the key
 * says what shapeOfRequest keeps, read from the request without building its descriptor.
 */
const shapeOf = ({ q, filters: f }: ListRequest): string =>
  [
    q.starting_after !== undefined ? 'cursor' : q.page > 1 ? 'later' : 'first',
    q.per_page,
    f.status !== undefined ? 's' : '',
    f.leadId !== undefined ? 'l' : '',
    f.from !== undefined ? 'f' : '',
    f.to !== undefined ? 't' : '',
  ].join(':');

/** Each request's values, one array per column of the request's row (`r`), in the statement's order (COLUMN_TYPES). */
type GroupColumns = [
  clinicIds: unknown[],
  statuses: unknown[],
  leadIds: unknown[],
  froms: unknown[],
  tos: unknown[],
  cursors: unknown[],
  skips: number[],
  pages: number[],
];

const COLUMN_TYPES = ['uuid', 'text', 'uuid', 'timestamptz', 'timestamptz', 'uuid', 'int8', 'int8'] as const;

const columnsOf = (group: ListRequest[]): GroupColumns => [
  group.map((w) => w.filters.clinicId),
  group.map((w) => w.filters.status ?? null),
  group.map((w) => w.filters.leadId ?? null),
  group.map((w) => w.filters.from ?? null),
  group.map((w) => w.filters.to ?? null),
  group.map((w) => w.q.starting_after ?? null),
  group.map((w) => (w.q.page - 1) * w.q.per_page),
  group.map((w) => w.q.page),
];

/** A column of the request's row (`r`) in the grouped statement. */
const column = <T>(name: string) => sql.ref(`r.${name}`) as unknown as Expression<T>;

/**
 * The grouped statement of a shape, its values bound as `columns`: every request's answer (its
 * page, the lateral subquery, rendered as one text: renderPage), one row per request in the
 * group's order (`ord`, from 1).
 */
function groupedPagesQuery(db: Db, links: RecordLinks, { params, filtered }: ListShape, columns: GroupColumns) {
  const filters: AppointmentFilters = {
    clinicId: column('clinic_id'),
    status: filtered.status ? column('status') : undefined,
    leadId: filtered.leadId ? column('lead_id') : undefined,
    from: filtered.from ? column('from_at') : undefined,
    to: filtered.to ? column('to_at') : undefined,
  };
  const operands: PageOperands = { clinicId: filters.clinicId, cursor: column('cursor'), offset: column('skip') };
  const page = cursorPageQuery({ ...appointmentList(db, filters), select: (qb) => qb.selectAll() }, params, operands);
  const rendered = renderPage(page, { page: column('page'), perPage: params.per_page, links });
  /**
   * One value of every request, as the grouped statement reads it: the array behind a scalar
   * subquery, so that no plan knows its length. The planner estimates `unnest` of a known array at
   * its length and of a parameter at 10 rows: each request's own (custom) plan of a group under 10
   * was then costed cheaper than the statement's generic plan, and PostgreSQL re-planned the
   * statement on most calls (issue 20, round 10: 468 plans in 610 calls, 0.55 ms each). Costed
   * alike, the generic plan is kept after its fifth run on a connection. The plan is the same
   * either way: every value reaches the page query through the lateral row, never as a constant.
   */
  const [clinicIds, statuses, leadIds, froms, tos, cursors, skips, pages] = columns.map(
    (values, i) => sql`(select ${values}::${sql.raw(COLUMN_TYPES[i] as string)}[])`,
  );
  const statement = sql<RenderedPage & { ord: string }>`
    select r.ord, x.body, x.rows
    from unnest(${clinicIds}, ${statuses}, ${leadIds}, ${froms}, ${tos}, ${cursors}, ${skips}, ${pages})
      with ordinality as r(clinic_id, status, lead_id, from_at, to_at, cursor, skip, page, ord)
    cross join lateral (${rendered}) x
    order by r.ord`;
  return { compile: () => statement.compile(db), execute: async () => (await statement.execute(db)).rows };
}

/** Most shapes whose grouped statement is kept compiled (the least recently built goes first). */
const KEPT_SHAPES = 256;

/**
 * The grouped statement of each shape, built and compiled once (db/compiled-query.ts) and then
 * only run with each group's values: Kysely built and compiled the whole page statement again
 * for every group, about a tenth of the server's CPU per uncached list request (issue 20, round
 * 14). The text is the one a statement built afresh has, so PostgreSQL keeps its plan as before.
 */
function groupedStatements(db: Db, links: RecordLinks) {
  type Statement = (db: Db, ...columns: GroupColumns) => Promise<(RenderedPage & { ord: string })[]>;
  const byShape = new Map<string, Statement>();
  return (group: ListRequest[]) => {
    const first = group[0] as ListRequest;
    const key = shapeOf(first);
    let statement = byShape.get(key);
    if (!statement) {
      const shape = shapeOfRequest(first);
      statement = compiledOnce((built: Db, ...columns: GroupColumns) => groupedPagesQuery(built, links, shape, columns));
      byShape.set(key, statement);
      for (const oldest of byShape.keys()) {
        if (byShape.size <= KEPT_SHAPES) break;
        byShape.delete(oldest);
      }
    }
    return statement(db, ...columnsOf(group));
  };
}

/**
 * Each request's answer from the grouped statement's rows (one per request); an empty later or
 * cursor page asks for its total (and its cursor's item) on its own (`alone`).
 */
async function answerGroup(
  groupedPages: ReturnType<typeof groupedStatements>,
  alone: (w: ListRequest) => Promise<string>,
  group: ListRequest[],
): Promise<Array<string | Promise<string>>> {
  const rows = await groupedPages(group);
  if (rows.length !== group.length) throw new Error(`appointment pages: ${rows.length} answers for ${group.length} requests`);
  return group.map((w, i) => {
    const own = rows[i] as RenderedPage;
    return totalAskedAlone(w.q, Number(own.rows)) ? alone(w) : own.body;
  });
}

/**
 * The list's answer, grouped. On PGlite too: its one connection runs statements one after another
 * anyway, and one statement for the group still saves each request's own (issue 20, round 7:
 * about a fifth of the CPU per list request at 20 connections, as on PostgreSQL).
 */
export function createAppointmentPages(
  db: Db,
  links: RecordLinks,
  options: Pick<ConcurrentGroupsOptions, 'maxInFlight' | 'onStatement'> = {},
): AppointmentPages {
  const groupedPages = groupedStatements(db, links);
  const alone = (w: ListRequest) => filteredAppointmentsJson(db, links, w.filters, w.q);
  const pageOf = groupConcurrent<ListRequest, string>({
    ...options,
    shapeOf,
    alone,
    together: (group) => answerGroup(groupedPages, alone, group),
  });
  return async (clinicId, q) => {
    const filters = await appointmentFilters(db, clinicId, q);
    // A cursor with a page other than 1 is refused (400) by the page statement's builder.
    if (q.starting_after !== undefined && q.page > 1) return filteredAppointmentsJson(db, links, filters, q);
    return pageOf({ q, filters });
  };
}

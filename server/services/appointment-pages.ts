/**
 * GET /appointments: the pages of the list requests that arrive together, in one statement (group
 * commit, as the key statement of server/http/rate-limit.ts), on both backends. Each request's
 * values are a row of `unnest(...) with ordinality`, and its page is a lateral subquery over that
 * row: the same page statement a request alone sends (services/pagination.ts cursorPageQuery),
 * its parameters read from the row. N concurrent pages then cost one round trip, one pool
 * checkout and one executor start instead of N. Nothing is kept: every request reads its rows
 * from the database.
 *
 * A request waits at most for the statements already in flight, never for a timer: alone, it is
 * sent at once as it always was (listAppointmentsJson's statement). Requests group only with
 * requests of the same statement shape (page, cursor or later page; per_page; which filters). A
 * group whose statement fails is sent again one request at a time, so an error is only its own
 * request's.
 */
import { sql, type Expression } from 'kysely';
import { type RenderedPage, renderPage } from './appointment-json';
import { appointmentFilters, appointmentList, type AppointmentFilters, filteredAppointmentsJson, type ListQuery } from './appointments';
import { cursorPageQuery, type PageOperands, totalAskedAlone } from './pagination';
import type { RecordLinks } from './serialize';
import type { Db } from './transaction';

/** Most requests one statement pages; more wait for the next. */
const MAX_GROUP = 64;

/** A list request's answer (the page as JSON text). */
export type AppointmentPages = (clinicId: string, q: ListQuery) => Promise<string>;

interface Waiting {
  q: ListQuery;
  filters: AppointmentFilters & { clinicId: string };
  resolve: (json: string) => void;
  reject: (error: unknown) => void;
}

/** Requests with the same key have the same page statement text (their values differ). */
const shapeOf = ({ q, filters: f }: Pick<Waiting, 'q' | 'filters'>): string =>
  [
    q.starting_after !== undefined ? 'cursor' : q.page > 1 ? 'later' : 'first',
    q.per_page,
    f.status !== undefined ? 's' : '',
    f.leadId !== undefined ? 'l' : '',
    f.from !== undefined ? 'f' : '',
    f.to !== undefined ? 't' : '',
  ].join(':');

/** A column of the request's row (`r`) in the grouped statement. */
const column = <T>(name: string) => sql.ref(`r.${name}`) as unknown as Expression<T>;

/**
 * The grouped statement for requests of one shape: every request's answer (its page, the lateral
 * subquery, rendered as one text: renderPage), one row per request in the group's order (`ord`,
 * from 1).
 */
function groupedPages(db: Db, links: RecordLinks, group: Waiting[]) {
  const [first] = group as [Waiting];
  const f = first.filters;
  const filters: AppointmentFilters = {
    clinicId: column('clinic_id'),
    status: f.status !== undefined ? column('status') : undefined,
    leadId: f.leadId !== undefined ? column('lead_id') : undefined,
    from: f.from !== undefined ? column('from_at') : undefined,
    to: f.to !== undefined ? column('to_at') : undefined,
  };
  const operands: PageOperands = { clinicId: filters.clinicId, cursor: column('cursor'), offset: column('skip') };
  const page = cursorPageQuery({ ...appointmentList(db, filters), select: (qb) => qb.selectAll() }, first.q, operands);
  const rendered = renderPage(page, { page: column('page'), perPage: first.q.per_page, links });
  const values = <T>(pick: (w: Waiting) => T | undefined) => group.map((w) => pick(w) ?? null);
  return sql<RenderedPage & { ord: string }>`
    select r.ord, x.body, x.rows
    from unnest(${values((w) => w.filters.clinicId)}::uuid[], ${values((w) => w.filters.status)}::text[],
      ${values((w) => w.filters.leadId)}::uuid[], ${values((w) => w.filters.from)}::timestamptz[],
      ${values((w) => w.filters.to)}::timestamptz[], ${values((w) => w.q.starting_after)}::uuid[],
      ${values((w) => (w.q.page - 1) * w.q.per_page)}::int8[], ${values((w) => w.q.page)}::int8[])
      with ordinality as r(clinic_id, status, lead_id, from_at, to_at, cursor, skip, page, ord)
    cross join lateral (${rendered}) x
    order by r.ord`.execute(db);
}

/** Answers each request of a group from the grouped statement's rows (one per request). */
async function answerGroup(db: Db, links: RecordLinks, group: Waiting[]): Promise<void> {
  const { rows } = await groupedPages(db, links, group);
  if (rows.length !== group.length) throw new Error(`appointment pages: ${rows.length} answers for ${group.length} requests`);
  group.forEach((w, i) => {
    const own = rows[i] as RenderedPage;
    // An empty later or cursor page asks for its total (and its cursor's item) on its own.
    if (totalAskedAlone(w.q, Number(own.rows))) void answerAlone(db, links, w);
    else w.resolve(own.body);
  });
}

function answerAlone(db: Db, links: RecordLinks, w: Waiting): Promise<void> {
  return filteredAppointmentsJson(db, links, w.filters, w.q).then(w.resolve, w.reject);
}

export interface AppointmentPagesOptions {
  /**
   * Grouped statements under way at once: a request that finds them all under way waits for the
   * first to finish, then goes with every request that came meanwhile.
   */
  maxInFlight?: number;
  /** Told the number of requests each statement answered (1: a request alone). */
  onStatement?: (requests: number) => void;
}

/**
 * The list's answer, grouped. On PGlite too: its one connection runs statements one after another
 * anyway, and one statement for the group still saves each request's own (issue 20, round 7:
 * about a fifth of the CPU per list request at 20 connections, as on PostgreSQL).
 */
export function createAppointmentPages(
  db: Db,
  links: RecordLinks,
  { maxInFlight = 2, onStatement }: AppointmentPagesOptions = {},
): AppointmentPages {
  const waiting = new Map<string, Waiting[]>();
  let inFlight = 0;
  let scheduled = false;

  const alone = (w: Waiting) => {
    onStatement?.(1);
    return answerAlone(db, links, w);
  };
  const send = async (group: Waiting[]) => {
    if (group.length === 1) return alone(group[0] as Waiting);
    try {
      await answerGroup(db, links, group);
      onStatement?.(group.length);
    } catch {
      // Which request failed the statement is not known: each is sent again alone.
      await Promise.all(group.map(alone));
    }
  };

  const flush = () => {
    scheduled = false;
    for (const [shape, queue] of waiting) {
      if (inFlight >= maxInFlight) return;
      const group = queue.splice(0, MAX_GROUP);
      if (queue.length === 0) waiting.delete(shape);
      inFlight++;
      void send(group).finally(() => {
        inFlight--;
        if (waiting.size > 0) flush();
      });
    }
  };

  return async (clinicId, q) => {
    const filters = await appointmentFilters(db, clinicId, q);
    // A cursor with a page other than 1 is refused (400) by the page statement's builder.
    if (q.starting_after !== undefined && q.page > 1) return filteredAppointmentsJson(db, links, filters, q);
    return new Promise<string>((resolve, reject) => {
      const w: Waiting = { q, filters, resolve, reject };
      const shape = shapeOf(w);
      const queue = waiting.get(shape);
      if (queue) queue.push(w);
      else waiting.set(shape, [w]);
      // Requests that arrive in the same turn of the event loop go out together.
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
}

/** Page/per_page -> limit/offset, a cursor -> a keyset page, and the `meta` object of every list. */
import { sql, type Expression, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/schema';
import { invalidInput } from '../errors';
import type { Db } from './transaction';

export interface PageParams {
  page: number;
  per_page: number;
}

export interface Page<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number };
}

/**
 * One round trip: the page, each row carrying the total as a scalar subquery over the same
 * filters (evaluated once, from the index, before the page is read). Only a page past the end,
 * which has no row to carry it, asks for the total on its own. `query` must carry the filters
 * only; ordering is applied by the caller's `select` callback.
 */
export async function paginate<DB, TB extends keyof DB, Row, Out>(
  query: SelectQueryBuilder<DB, TB, object>,
  params: PageParams,
  select: (q: SelectQueryBuilder<DB, TB, object>) => SelectQueryBuilder<DB, TB, Row>,
  map: (row: Row) => Out,
): Promise<Page<Out>> {
  const countOf = (q: SelectQueryBuilder<DB, TB, object>) => q.select(sql<number>`count(*)`.as('total'));
  const rows = (await select(query)
    .select(countOf(query).as('__total') as never)
    .limit(params.per_page)
    .offset((params.page - 1) * params.per_page)
    .execute()) as (Row & { __total: number | string })[];
  let total: number;
  const [first] = rows;
  if (first) total = Number(first.__total);
  else if (params.page === 1) total = 0;
  else total = Number(((await countOf(query).executeTakeFirst()) as { total: number | string } | undefined)?.total ?? 0);
  return { data: rows.map(({ __total, ...row }) => map(row as Row)), meta: { page: params.page, per_page: params.per_page, total } };
}

/** The lists with a cursor (issue 20): their table is also the cursor's. */
export type CursorTable = 'appointments' | 'leads' | 'campaign_contacts';

export interface CursorParams extends PageParams {
  /** The id of an item of the list: the page starts right after it. */
  starting_after?: string;
}

export interface CursorPage<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number; has_more: boolean };
}

type Filtered<T extends CursorTable> = SelectQueryBuilder<Database, T, object>;

/** Each row of a page query carries the list's total. */
export interface Total {
  __total: number | string;
}

export interface CursorList<T extends CursorTable, Selected, Row = Selected, Out = unknown> {
  db: Db;
  table: T;
  clinicId: string;
  /** The list's order: this column, newest first, then id (the order of an index of the table). */
  orderBy: 'created_at' | 'updated_at';
  /** `selectFrom(table)` with the list's filters, nothing selected. */
  query: Filtered<T>;
  /** The list's total, one number (`countedTotal` or `countOf`). */
  total: Expression<number>;
  /** The page's columns (no order, no limit). */
  select: (q: Filtered<T>) => SelectQueryBuilder<Database, T, Selected>;
  /** Runs the page query (its rows in order, with `__total`): by default as it is (then Row is Selected); or wrapped, e.g. to render its rows. */
  run?: (page: SelectQueryBuilder<Database, T, Selected & Total>) => Promise<(Row & Total)[]>;
  map: (row: Row) => Out;
  /** "an appointment", for the message of an unknown cursor. */
  noun: string;
}

/** The total kept by the database (migration 011): a clinic's records of a kind, or of one status. */
export function countedTotal(
  db: Db,
  clinicId: string | Expression<string>,
  kind: CursorTable,
  status?: string | Expression<string>,
): Expression<number> {
  let q = db
    .selectFrom('record_counts')
    .select(sql<number>`coalesce(sum(n), 0)::int8`.as('n'))
    .where('clinic_id', '=', clinicId)
    .where('kind', '=', kind);
  if (status !== undefined) q = q.where('status', '=', status);
  return q.$asScalar();
}

/** The total counted over the filtered rows (for filters the kept counts do not answer). */
export const countOf = <T extends CursorTable>(query: Filtered<T>): Expression<number> =>
  query.select(sql<number>`count(*)`.as('n')).$asScalar();

const pageWithCursor = () =>
  invalidInput('page cannot be combined with starting_after: a cursor page starts right after its item; leave page out', [
    { path: 'page', message: 'not with starting_after' },
  ]);

/**
 * Where a page statement takes its request's values from: bound as parameters (one request), or
 * columns of the request's row in a statement that pages several requests at once (a grouped
 * statement, services/appointment-pages.ts). Either way the statement's text is the same shape.
 */
export interface PageOperands {
  clinicId: string | Expression<string>;
  cursor?: string | Expression<string>;
  /** Rows skipped before a numbered page (page > 1). */
  offset: number | Expression<number>;
}

/** A request's values, bound as parameters. */
export const pageOperands = (list: { clinicId: string }, params: CursorParams): PageOperands => ({
  clinicId: list.clinicId,
  cursor: params.starting_after,
  offset: (params.page - 1) * params.per_page,
});

/**
 * The page statement of a cursor list (see cursorPage), its rows in order with `__total`, one
 * more row than the page. `operands` hold the request's values.
 */
export function cursorPageQuery<T extends CursorTable, Selected>(
  list: Pick<CursorList<T, Selected>, 'db' | 'table' | 'orderBy' | 'query' | 'total' | 'select'>,
  params: CursorParams,
  operands: PageOperands,
): SelectQueryBuilder<Database, T, Selected & Total> {
  const { page, per_page: perPage, starting_after: cursor } = params;
  if (cursor !== undefined && page > 1) throw pageWithCursor();
  const column = sql.ref(list.orderBy);
  // The limit is written into the statement, not bound: the named statement's generic plan then
  // knows it and can be chosen after five runs (with a bound limit the generic plan is costed for
  // a tenth of the clinic and never chosen: 0.2-0.4 ms of planning on every call; the rendered
  // appointments page was still planned on every call in the round 4 profile, the planner's
  // choice). At most 101 texts per filter set.
  const ordered = <R>(q: SelectQueryBuilder<Database, T, R>) =>
    q
      .orderBy(sql`${column} desc`)
      .orderBy(sql`id desc`)
      .limit(sql.lit(perPage + 1));
  let rowsQuery: SelectQueryBuilder<Database, T, Selected>;
  if (cursor !== undefined) {
    const item = sql`(select ${column}, id from ${sql.table(list.table)} where clinic_id = ${operands.clinicId} and id = ${operands.cursor})`;
    rowsQuery = ordered(list.select(list.query.where(sql<boolean>`(${column}, id) < ${item}`)));
  } else if (page > 1) {
    const ids = ordered(list.query.select(sql<string>`id`.as('id'))).offset(operands.offset);
    // An array of the ids, computed once (an InitPlan) whatever join the planner would pick for
    // `in`, and only the primary key to find them by (the filters are the array's).
    const byId = list.db.selectFrom(list.table) as unknown as Filtered<T>;
    rowsQuery = ordered(list.select(byId.where(sql<boolean>`id = any(array(${ids}))`)));
  } else {
    rowsQuery = ordered(list.select(list.query));
  }
  return rowsQuery.select(sql<number>`${list.total}`.as('__total') as never) as SelectQueryBuilder<Database, T, Selected & Total>;
}

/** The page of the rows its statement returned (in order, one more than the page: `has_more`). */
function pageOfRows<Row, Out>(params: CursorParams, rows: (Row & Total)[], map: (row: Row) => Out): CursorPage<Out> {
  const data = rows.slice(0, params.per_page).map(({ __total, ...row }) => map(row as Row));
  const total = Number(rows[0]?.__total ?? 0);
  return { data, meta: { page: params.page, per_page: params.per_page, total, has_more: rows.length > params.per_page } };
}

/** An empty page after the first, or after a cursor (`rows`: how many its statement read), has no row to carry the total: it is asked on its own. */
export const totalAskedAlone = (params: CursorParams, rows: number): boolean =>
  rows === 0 && (params.starting_after !== undefined || params.page > 1);

/**
 * A page of a cursor list, with its total, in one statement. Page numbers: page 1 reads its rows
 * from the list's index; a later page first takes the page's ids from the index (skipping the
 * earlier rows there, without reading them or their subqueries), then reads those rows. A cursor
 * (`starting_after`) reads the rows after its item's (column, id) in the index: the same cost at
 * any depth. One row more than the page is read to learn `has_more`. An empty page asks for the
 * total on its own and, with a cursor, whether its item exists (400 when it names no item of this
 * clinic).
 */
export async function cursorPage<T extends CursorTable, Selected, Row = Selected, Out = unknown>(
  list: CursorList<T, Selected, Row, Out>,
  params: CursorParams,
): Promise<CursorPage<Out>> {
  const pageQuery = cursorPageQuery(list, params, pageOperands(list, params));
  const rows = list.run ? await list.run(pageQuery) : ((await pageQuery.execute()) as (Row & Total)[]);
  if (totalAskedAlone(params, rows.length)) return emptyPage(list, params);
  return pageOfRows(params, rows, list.map);
}

/** The answer of a page whose statement read no row, after the first or a cursor: its total asked on its own (400 for an unknown cursor). */
export async function emptyPage<T extends CursorTable>(
  list: Pick<CursorList<T, unknown>, 'db' | 'table' | 'clinicId' | 'total' | 'noun'>,
  params: CursorParams,
): Promise<CursorPage<never>> {
  const total = await emptyPageTotal(list, params.starting_after);
  return { data: [], meta: { page: params.page, per_page: params.per_page, total, has_more: false } };
}

async function emptyPageTotal<T extends CursorTable>(
  list: Pick<CursorList<T, unknown>, 'db' | 'table' | 'clinicId' | 'total' | 'noun'>,
  cursor: string | undefined,
): Promise<number> {
  const found =
    cursor === undefined
      ? sql<boolean>`true`
      : sql<boolean>`exists (select from ${sql.table(list.table)} where clinic_id = ${list.clinicId} and id = ${cursor})`;
  const row = await list.db.selectNoFrom([sql<number>`${list.total}`.as('total'), found.as('found')]).executeTakeFirstOrThrow();
  if (!row.found) {
    throw invalidInput(`starting_after does not name ${list.noun} of this clinic; pass the id of the last item of the page before`, [
      { path: 'starting_after', message: `unknown ${list.noun.replace(/^an? /, '')}` },
    ]);
  }
  return Number(row.total);
}

/** Page/per_page -> limit/offset, and the `meta` object of every list. */
import { sql, type SelectQueryBuilder } from 'kysely';

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

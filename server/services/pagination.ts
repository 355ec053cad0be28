/** Page/per_page -> limit/offset, and the `meta` object of every list. */
import type { SelectQueryBuilder } from 'kysely';

export interface PageParams {
  page: number;
  per_page: number;
}

export interface Page<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number };
}

/**
 * Runs a filtered query twice: once for the total, once for the page. `query` must carry the
 * filters only; ordering is applied here by the caller's `order` callback.
 */
export async function paginate<DB, TB extends keyof DB, Row, Out>(
  query: SelectQueryBuilder<DB, TB, object>,
  params: PageParams,
  select: (q: SelectQueryBuilder<DB, TB, object>) => SelectQueryBuilder<DB, TB, Row>,
  map: (row: Row) => Out,
): Promise<Page<Out>> {
  const [{ total }] = (await query
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .execute()) as unknown as [{ total: number | string }];
  const rows = await select(query)
    .limit(params.per_page)
    .offset((params.page - 1) * params.per_page)
    .execute();
  return { data: rows.map(map), meta: { page: params.page, per_page: params.per_page, total: Number(total) } };
}

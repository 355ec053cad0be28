/**
 * Row counts of every table in one query: the "nothing was written" check of bad-input tests. Left
 * out: the bookkeeping of requests rather than data, rate_limits and idempotency_keys (a refusal
 * sent with an Idempotency-Key keeps its answer there, to replay it).
 */
import { type KyselyPlugin, sql } from 'kysely';
import type { DatabaseHandle } from '../../db/connect';

export async function tableCounts(database: DatabaseHandle): Promise<Record<string, number>> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'
      and table_name not like 'kysely_%' and table_name not in ('rate_limits', 'idempotency_keys')
    order by table_name`.execute(database.db);
  const names = tables.rows.map((r) => r.table_name);
  if (names.length === 0) return {};
  const select = names.map((n) => `(select count(*) from "${n}")::int as "${n}"`).join(', ');
  const result = await sql.raw<Record<string, number>>(`select ${select}`).execute(database.db);
  return Object.fromEntries(Object.entries(result.rows[0]!).map(([k, v]) => [k, Number(v)]));
}

/** Counts the queries Kysely executes (results, once each; transformQuery also sees subqueries). */
export interface QueryCounter extends KyselyPlugin {
  count: number;
  /** Of `count`, the named statements (the key statement). */
  prepared: number;
}

export function queryCounter(): QueryCounter {
  return {
    count: 0,
    prepared: 0,
    transformQuery: (args) => args.node,
    async transformResult(args) {
      this.count++;
      return args.result;
    },
  };
}

/** The same database with every query counted: Kysely's, and the key lookup's named statement. */
export function countedDatabase(database: DatabaseHandle, counter: QueryCounter): DatabaseHandle {
  return {
    ...database,
    db: database.db.withPlugin(counter),
    executePrepared: (...args) => {
      counter.count++;
      counter.prepared++;
      return database.executePrepared(...args);
    },
  };
}

/**
 * Whether PostgreSQL keeps one plan of a grouped statement per connection (services/
 * appointment-pages.ts, services/busy-reads.ts): its first five runs custom plans, then its generic
 * plan, whatever the group size. Groups under the parameter estimate of 10 once made each custom
 * plan look cheaper, and PostgreSQL planned the statement again on most calls (issue 20, rounds 10
 * and 11). Everything runs in one transaction, so on one connection, whose own prepared statements
 * are read at the end.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema';

type Transaction = Kysely<Database>;

/**
 * Twelve rounds of 3 to 5 concurrent calls of `call` (made with the transaction), the first of a
 * round alone and the others grouped; `sizes` is where the grouping reports each statement's size.
 * Returns the connection's plan counts of each prepared statement whose text contains `marker`.
 */
export async function groupedStatementPlans<T>(
  db: Transaction,
  marker: string,
  start: (trx: Transaction, sizes: number[]) => (i: number) => Promise<T>,
  check: (answer: T) => void,
): Promise<Array<{ generic: number; custom: number }>> {
  return db.transaction().execute(async (trx) => {
    const sizes: number[] = [];
    const call = start(trx, sizes);
    for (let round = 0; round < 12; round++) {
      const group = 3 + (round % 3);
      for (const answer of await Promise.all(Array.from({ length: group }, (_, i) => call(i)))) check(answer);
    }
    if (Math.max(...sizes) <= 1) throw new Error('groupedStatementPlans: no two calls met in one statement');
    const { rows } = await sql<{ generic_plans: string; custom_plans: string }>`
      select generic_plans, custom_plans from pg_prepared_statements where strpos(statement, ${marker}) > 0`.execute(trx);
    return rows.map((row) => ({ generic: Number(row.generic_plans), custom: Number(row.custom_plans) }));
  });
}

/** One statement, planned at most five times (its custom plans), then run from its generic plan. */
export function expectGenericPlanKept(plans: Array<{ generic: number; custom: number }>): void {
  expect(plans).toHaveLength(1);
  const [{ generic, custom }] = plans as [{ generic: number; custom: number }];
  expect(custom).toBeLessThanOrEqual(5);
  expect(generic).toBeGreaterThan(0);
  expect(generic + custom).toBeGreaterThan(8);
}

/**
 * PGlite runs no autovacuum: without it a table's planner statistics and visibility map stay as
 * the last explicit VACUUM or ANALYZE left them (none at all for a table that only grew), so the
 * planner takes a clinic of 100,000 appointments for a few hundred rows and sorts a deep page on
 * disk, and no index-only scan is possible. This does what autovacuum would, with its thresholds,
 * from a timer of the server (PostgreSQL's own autovacuum needs none).
 *
 * A table is vacuumed and analyzed when, since the last time, more rows changed than 50 + 10 % of
 * it (autovacuum's analyze threshold), more rows died than 50 + 20 % of it, or more were inserted
 * than 1,000 + 20 % of it (its vacuum thresholds). PGlite runs on the server's own thread, so the
 * statistics sample is kept small (`default_statistics_target` 10: 3,000 rows, not 30,000): a
 * table of 100,000 rows costs about 50 ms instead of 400.
 */
import type { DatabaseHandle } from './connect';

/** Tables due now, by the cumulative statistics (which lag their writes by up to a second). */
const DUE_TABLES = `
  select s.relname as name
  from pg_stat_user_tables s join pg_class c on c.oid = s.relid
  where s.schemaname = 'public' and (
    s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, s.n_live_tup, 0)
    or s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, s.n_live_tup, 0)
    or s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, s.n_live_tup, 0)
  )
  order by s.relname`;

/** Rows an ANALYZE samples per statistics target unit (PostgreSQL's 300). */
const SMALL_STATISTICS_TARGET = 10;

/**
 * Vacuums and analyzes the tables autovacuum would now; returns their names. On PGlite (one
 * session) with the small statistics sample; on PostgreSQL, whose pooled sessions must not keep a
 * setting, with the server's own.
 */
export async function vacuumWhereDue(database: Pick<DatabaseHandle, 'kind' | 'executeSql'>): Promise<string[]> {
  const { rows } = await database.executeSql(DUE_TABLES);
  const names = (rows as { name: string }[]).map((r) => r.name).filter((name) => /^[a-z_][a-z0-9_]*$/.test(name));
  if (names.length === 0) return names;
  const small = database.kind === 'pglite';
  if (small) await database.executeSql(`set default_statistics_target = ${SMALL_STATISTICS_TARGET}`);
  try {
    for (const name of names) await database.executeSql(`vacuum (analyze) ${name}`);
  } finally {
    if (small) await database.executeSql('reset default_statistics_target');
  }
  return names;
}

/** How often PGlite's tables are checked (autovacuum's naptime is a minute; the check is one small query). */
export const VACUUM_CHECK_MS = 15_000;

/**
 * On PGlite, checks every `everyMs` and vacuums what is due; a failure is reported and the next
 * check tries again. Returns the function that stops it, once a check under way has finished (a
 * no-op on PostgreSQL).
 */
export function startPgliteAutovacuum(
  database: Pick<DatabaseHandle, 'kind' | 'executeSql'>,
  onError: (error: unknown) => void,
  everyMs = VACUUM_CHECK_MS,
): () => Promise<void> {
  if (database.kind !== 'pglite') return async () => undefined;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= vacuumWhereDue(database)
      .then(() => undefined, onError)
      .finally(() => {
        running = undefined;
      });
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

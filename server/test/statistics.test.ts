/**
 * PGlite's stand-in for autovacuum (db/statistics.ts): a table that grew past autovacuum's
 * thresholds is vacuumed and analyzed (the planner then knows its size), one that did not is left
 * alone; the timer runs on PGlite only, and stopping it waits for a check under way.
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import { startPgliteAutovacuum, vacuumWhereDue } from '../db/statistics';
import { createClinic } from '../services/clinics';
import { backends, openTestDatabase } from './support/databases';
import { waitUntil } from './support/wait';

describe.each(backends())('planner statistics on %s', (backend) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(() => database.close());

  const estimatedRows = async () =>
    Number(
      (await sql<{ n: number }>`select reltuples::float8 as n from pg_class where relname = 'appointments'`.execute(database.db)).rows[0]
        ?.n,
    );

  it('vacuums and analyzes a table that grew past the thresholds, and then leaves it alone', async () => {
    // PostgreSQL's own autovacuum would race this check for the table (and, analyzing it first,
    // leave nothing due): off for this database's appointments, as PGlite has none at all.
    await sql`alter table appointments set (autovacuum_enabled = false)`.execute(database.db);
    const { clinic } = await createClinic(database.db, 'Statistics Clinic', 'UTC');
    const lead = await database.db
      .insertInto('leads')
      .values({ clinic_id: clinic.id, email: 'stats@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const start = Date.UTC(2032, 0, 1);
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      clinic_id: clinic.id,
      lead_id: lead.id,
      scheduled_at: new Date(start + i * 3_600_000),
      ends_at: new Date(start + i * 3_600_000 + 1_800_000),
    }));
    for (let i = 0; i < rows.length; i += 1000)
      await database.db
        .insertInto('appointments')
        .values(rows.slice(i, i + 1000))
        .execute();
    expect(await estimatedRows()).toBeLessThan(3000);
    // The cumulative statistics reach the view within a second or so of the writes.
    await waitUntil('appointments to be due', async () => (await vacuumWhereDue(database)).includes('appointments'), 10_000);
    expect(await estimatedRows()).toBe(3000);
    expect(await vacuumWhereDue(database)).not.toContain('appointments');
    const { rows: settings } = await sql<{ target: string }>`select current_setting('default_statistics_target') as target`.execute(
      database.db,
    );
    expect(settings[0]?.target).toBe('100');
  });
});

describe('the PGlite autovacuum timer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const fakeDatabase = (kind: 'pglite' | 'postgres') => {
    const executed: string[] = [];
    let release: () => void = () => undefined;
    const database: Pick<DatabaseHandle, 'kind' | 'executeSql'> = {
      kind,
      executeSql: async (text) => {
        executed.push(text.trim().split(/\s+/).slice(0, 2).join(' '));
        if (text.includes('pg_stat_user_tables')) return { rows: [{ name: 'appointments' }] };
        if (text.startsWith('vacuum')) await new Promise<void>((resolve) => (release = resolve));
        return { rows: [] };
      },
    };
    return { database, executed, release: () => release() };
  };

  it('runs on PGlite only, one check at a time, and stopping waits for the check under way', async () => {
    const postgres = fakeDatabase('postgres');
    const stopPostgres = startPgliteAutovacuum(postgres.database, () => undefined, 1000);
    jest.advanceTimersByTime(5000);
    await stopPostgres();
    expect(postgres.executed).toEqual([]);

    const pglite = fakeDatabase('pglite');
    const stop = startPgliteAutovacuum(pglite.database, () => undefined, 1000);
    jest.advanceTimersByTime(1000);
    await jest.advanceTimersByTimeAsync(5000); // the first check is still vacuuming: no second one starts
    expect(pglite.executed).toEqual(['select s.relname', 'set default_statistics_target', 'vacuum (analyze)']);
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    pglite.release();
    await stopping;
    expect(pglite.executed.at(-1)).toBe('reset default_statistics_target');
    await jest.advanceTimersByTimeAsync(5000);
    expect(pglite.executed.filter((s) => s === 'select s.relname')).toHaveLength(1);
  });
});

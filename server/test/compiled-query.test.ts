/**
 * A query compiled once (db/compiled-query.ts) answers what the same query built per call answers,
 * with each call's own values; Kysely's plugins still see every run; a plugin that rewrites the
 * query gets it built afresh; an argument the query does not take as a parameter is refused.
 */
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { compiledOnce } from '../db/compiled-query';
import type { DatabaseHandle } from '../db/connect';
import { createClinic } from '../services/clinics';
import { backends, openTestDatabase } from './support/databases';

const clinicByName = compiledOnce((db, name: string, timezone: string) =>
  db.selectFrom('clinics').select(['id', 'name', 'timezone']).where('name', '=', name).where('timezone', '=', timezone).limit(2),
);

describe.each(backends())('compiledOnce on %s', (backend) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
    await createClinic(database.db, 'Compiled North', 'Europe/Paris');
    await createClinic(database.db, 'Compiled South', 'America/Chicago');
  });
  afterAll(() => database.close());

  test('each call runs with its own values and answers what the built query answers', async () => {
    for (const [name, timezone] of [
      ['Compiled North', 'Europe/Paris'],
      ['Compiled South', 'America/Chicago'],
      ['Compiled North', 'America/Chicago'],
      ['Compiled South', 'America/Chicago'],
    ] as const) {
      const built = await database.db
        .selectFrom('clinics')
        .select(['id', 'name', 'timezone'])
        .where('name', '=', name)
        .where('timezone', '=', timezone)
        .limit(2)
        .execute();
      expect(await clinicByName(database.db, name, timezone)).toEqual(built);
    }
    expect(await clinicByName(database.db, 'Compiled South', 'America/Chicago')).toEqual([
      expect.objectContaining({ name: 'Compiled South', timezone: 'America/Chicago' }),
    ]);
  });

  test("plugins see every run's query and result; a rewriting plugin's query is built afresh", async () => {
    const seen = { queries: 0, results: 0 };
    const observer: KyselyPlugin = {
      transformQuery: ({ node }) => {
        seen.queries++;
        return node;
      },
      transformResult: async ({ result }) => {
        seen.results++;
        return result;
      },
    };
    const observed = database.db.withPlugin(observer);
    await clinicByName(observed, 'Compiled North', 'Europe/Paris');
    const before = { ...seen };
    await clinicByName(observed, 'Compiled South', 'America/Chicago');
    await clinicByName(observed, 'Compiled North', 'Europe/Paris');
    expect(seen.queries - before.queries).toBeGreaterThanOrEqual(2);
    expect(seen.results - before.results).toBe(2);

    // Rewrites every query into a fresh tree (a copy): the query then runs as built, with its values.
    const rewriter: KyselyPlugin = {
      transformQuery: ({ node }) => ({ ...node }) as RootOperationNode,
      transformResult: async ({ result }) => result,
    };
    const rows = await clinicByName(database.db.withPlugin(rewriter), 'Compiled South', 'America/Chicago');
    expect(rows).toEqual([expect.objectContaining({ name: 'Compiled South' })]);
  });

  test('an argument the query does not take as a parameter is refused', async () => {
    const ignoresItsArgument = compiledOnce((db, _name: string) => db.selectFrom('clinics').select('id').limit(1));
    await expect(ignoresItsArgument(database.db, 'x')).rejects.toThrow('argument 0 is not a parameter of the query');
  });
});

/**
 * A statement that takes a list of ids sends one text whatever the list's length (`= any($1)`, not
 * `in ($1, $2, ...)`): every parameterised text is a named prepared statement (db/connect.ts), at
 * most MAX_NAMED_STATEMENTS per process, so a text per length would use those names up with
 * copies of the same statement and leave later statements unprepared.
 */
import { type KyselyPlugin, PostgresQueryCompiler } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import { loadTargets } from '../webhooks/claims';
import { failPending } from '../webhooks/outcome';
import { deleteSubscriptions } from '../webhooks/removal';
import { backends, openTestDatabase } from './support/databases';

/** Records the SQL text of every query Kysely runs through it. */
function textRecorder(): KyselyPlugin & { texts: string[] } {
  const compiler = new PostgresQueryCompiler();
  const texts: string[] = [];
  return {
    texts,
    transformQuery: ({ node, queryId }) => {
      texts.push(compiler.compileQuery(node, queryId).sql);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
}

const uuids = (n: number) => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);

describe.each(backends())('statements over a list of ids on %s', (backend) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(() => database.close());

  /** The texts `run` sends for a list of 1 id and for a list of 3. */
  async function textsFor(run: (db: DatabaseHandle['db'], ids: string[]) => Promise<unknown>) {
    const texts = [];
    for (const n of [1, 3]) {
      const recorder = textRecorder();
      await run(database.db.withPlugin(recorder), uuids(n));
      texts.push(recorder.texts);
    }
    return texts;
  }

  test.each([
    [
      'loadTargets',
      (db: DatabaseHandle['db'], ids: string[]) =>
        loadTargets(
          db,
          ids.map((id) => ({ deliveryId: `msg_${id}` })),
        ),
    ],
    ['failPending', (db: DatabaseHandle['db'], ids: string[]) => db.transaction().execute((trx) => failPending(trx, ids))],
    ['deleteSubscriptions', (db: DatabaseHandle['db'], ids: string[]) => deleteSubscriptions(db, { clinicId: uuids(1)[0]!, ids })],
  ])('%s: the same text for 1 id and for 3', async (_name, run) => {
    const [one, three] = await textsFor(run);
    expect(one!.length).toBeGreaterThan(0);
    expect(three).toEqual(one);
  });
});

/**
 * Statements as named prepared statements on PGlite too (db/pglite-statements.ts): every value a
 * query sends comes back from the database as it went in (the same as through the pg driver on
 * PostgreSQL); a statement with parameters is prepared once and run many times; a statement
 * without any runs unnamed; errors carry the fields the server maps (code, constraint);
 * transactions commit and roll back; a statement whose first run fails is prepared again.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import { parameterText } from '../db/pglite-statements';
import { backends, openTestDatabase } from './support/databases';

// Arbitrary text, and text made of the characters that matter to SQL and array literals.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
  fc.string({ unit: fc.constantFrom('a', "'", '"', '\\', '{', '}', ',', ' ', 'NULL', '$1', 'é'), maxLength: 12 }),
);

describe.each(backends())('parameters and statements on %s', (backend) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(() => database.close());

  test('a string, an array of strings and a JSON value read back unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.option(text, { nil: null }), { maxLength: 6 }), fc.jsonValue(), async (one, many, json) => {
        const { rows } = await sql<{ one: string; many: (string | null)[]; json: unknown }>`
          select ${one}::text as one, ${many}::text[] as many, ${JSON.stringify(json)}::jsonb as json`.execute(database.db);
        expect(rows[0]?.one).toBe(one);
        expect(rows[0]?.many).toEqual(many);
        expect(rows[0]?.json).toEqual(JSON.parse(JSON.stringify(json)));
      }),
      { numRuns: 150 },
    );
  });

  test('dates, numbers, booleans and null', async () => {
    const instant = new Date(Date.UTC(2031, 4, 6, 7, 8, 9, 123));
    const { rows } = await sql<Record<string, unknown>>`
      select ${instant}::timestamptz as at, ${41}::int + 1 as n, ${2.5}::float8 as f, ${true}::boolean as yes,
        ${false}::boolean as no, ${null}::text as nothing, ${9_007_199_254_740_991}::int8 as big`.execute(database.db);
    expect(rows[0]).toEqual({ at: instant, n: 42, f: 2.5, yes: true, no: false, nothing: null, big: 9_007_199_254_740_991 });
  });

  test('a named statement runs prepared, with its values, again and again', async () => {
    const statement = 'select $1::text as a, $2::int + 1 as b, $3::text[] as c';
    for (const values of [
      ["it's", 41, ['x"y', 'z\\']],
      ['again', 1, []],
      ['1970-01-01T00:00:00.000Z', 0, ['d']],
    ]) {
      const { rows } = await database.executePrepared('qb_statement_test', statement, values);
      expect(rows[0]).toEqual({ a: values[0], b: Number(values[1]) + 1, c: values[2] });
    }
  });

  test('errors carry the code and constraint; updates report their rows; transactions commit and roll back', async () => {
    await sql`create table statement_test (id int primary key, v text not null check (v <> 'bad'))`.execute(database.db);
    await database.db.transaction().execute(async (trx) => {
      await sql`insert into statement_test values (${1}, ${'one'}), (${2}, ${'two'})`.execute(trx);
    });
    await expect(
      database.db.transaction().execute(async (trx) => {
        await sql`insert into statement_test values (${3}, ${'three'})`.execute(trx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const duplicate = await sql`insert into statement_test values (${1}, ${'again'})`.execute(database.db).catch((e: unknown) => e);
    expect(duplicate).toMatchObject({ code: '23505', constraint: 'statement_test_pkey' });
    const check = await sql`update statement_test set v = ${'bad'} where id = ${2}`.execute(database.db).catch((e: unknown) => e);
    expect(check).toMatchObject({ code: '23514', constraint: 'statement_test_v_check' });
    const updated = await sql`update statement_test set v = ${'new'} where id >= ${1}`.execute(database.db);
    expect(Number(updated.numAffectedRows)).toBe(2);
    const { rows } = await sql<{ id: number; v: string }>`select id, v from statement_test order by id`.execute(database.db);
    expect(rows).toEqual([
      { id: 1, v: 'new' },
      { id: 2, v: 'new' },
    ]);
  });

  test('a statement whose first run fails runs once the cause is gone', async () => {
    const run = () => sql<{ n: number }>`select count(*)::int as n from statement_later where n > ${0}`.execute(database.db);
    await expect(run()).rejects.toMatchObject({ code: '42P01' });
    await sql`create table statement_later (n int)`.execute(database.db);
    await sql`insert into statement_later values (${1}), (${2})`.execute(database.db);
    expect((await run()).rows).toEqual([{ n: 2 }]);
    expect((await run()).rows).toEqual([{ n: 2 }]);
    // Prepared, but its first run fails as it executes.
    const divide = (by: number) => sql<{ v: number }>`select 10 / ${by}::int as v`.execute(database.db);
    await expect(divide(0)).rejects.toMatchObject({ code: '22012' });
    expect((await divide(5)).rows).toEqual([{ v: 2 }]);
    expect((await divide(2)).rows).toEqual([{ v: 5 }]);
    // The same under a name of the caller's (executePrepared: the booking statements).
    const named = (by: number) => database.executePrepared('qb_statement_divide', 'select 20 / $1::int as v', [by]);
    await expect(named(0)).rejects.toMatchObject({ code: '22012' });
    expect((await named(5)).rows).toEqual([{ v: 4 }]);
    expect((await named(2)).rows).toEqual([{ v: 10 }]);
  });
});

test('PGlite: a statement with parameters is parsed once, under one name, however often it runs', async () => {
  const database = await openTestDatabase('pglite');
  try {
    const run = (n: number) => sql<{ v: number }>`select ${n}::int * 2 as v`.execute(database.db);
    for (let n = 0; n < 5; n++) expect((await run(n)).rows).toEqual([{ v: n * 2 }]);
    const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements where statement like ${'%* 2 as v%'}`.execute(
      database.db,
    );
    expect(rows).toHaveLength(1);
  } finally {
    await database.close();
  }
});

test('parameter text: as the pg driver writes values', () => {
  expect(parameterText(null)).toBeNull();
  expect(parameterText(undefined)).toBeNull();
  expect(parameterText(new Date(0))).toBe('1970-01-01T00:00:00.000Z');
  expect(parameterText(['a"b', null, ['c']])).toBe('{"a\\"b",NULL,{"c"}}');
  expect(parameterText({ a: [1] })).toBe('{"a":[1]}');
  expect(parameterText(Buffer.from([1, 255]))).toBe('\\x01ff');
});

/**
 * PGlite runs hot statements as PREPARE + EXECUTE with the values written as SQL literals
 * (db/connect.ts): every string and array of strings must come back from the database exactly as
 * it went in, whatever quotes, backslashes or braces it holds.
 */
import fc from 'fast-check';
import { connectDatabase, sqlLiteral, type DatabaseHandle } from '../db/connect';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await connectDatabase({ dataDir: 'memory' });
});
afterAll(async () => {
  await database.close();
});

// Arbitrary text, and text made of the characters that matter to SQL and array literals.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
  fc.string({ unit: fc.constantFrom('a', "'", '"', '\\', '{', '}', ',', ' ', 'NULL', '$1', 'é'), maxLength: 12 }),
);

test('a string written as a literal reads back unchanged', async () => {
  await fc.assert(
    fc.asyncProperty(text, async (value) => {
      const { rows } = await database.executeSql(`select ${sqlLiteral(value)}::text as v`);
      expect((rows[0] as { v: string }).v).toBe(value);
    }),
    { numRuns: 200 },
  );
});

test('an array of strings written as a literal reads back unchanged', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(text, { maxLength: 6 }), async (value) => {
      const { rows } = await database.executeSql(`select ${sqlLiteral(value)}::text[] as v`);
      expect((rows[0] as { v: string[] }).v).toEqual(value);
    }),
    { numRuns: 200 },
  );
});

test('a named statement runs prepared, with its values, and again', async () => {
  const statement = 'select $1::text as a, $2::int + 1 as b, $3::text[] as c';
  for (const values of [
    ["it's", 41, ['x"y', 'z\\']],
    ['again', 1, []],
  ]) {
    const { rows } = await database.executePrepared('qb_literal_test', statement, values);
    expect(rows[0]).toEqual({ a: values[0], b: Number(values[1]) + 1, c: values[2] });
  }
  // A value with no literal form (a Date) goes as a bound parameter.
  const { rows } = await database.executePrepared('qb_literal_test', statement, [new Date(0).toISOString(), 0, ['d']]);
  expect((rows[0] as { a: string }).a).toBe('1970-01-01T00:00:00.000Z');
  expect(sqlLiteral(new Date())).toBeUndefined();
  expect(sqlLiteral(Number.NaN)).toBeUndefined();
});

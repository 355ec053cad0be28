/**
 * isoAt (services/serialize.ts) writes an epoch-ms instant without a Date, for the slots of
 * GET /availability: it must write exactly what Date's toISOString does for every instant the
 * contract can hold (years 1-9999), by arithmetic or by falling back to Date.
 */
import fc from 'fast-check';
import { isoAt } from '../services/serialize';

const FIRST = Date.parse('0001-01-01T00:00:00.000Z');
const LAST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

test('isoAt writes any instant of years 1-9999 as toISOString does', () => {
  expect(new Date(FIRST).toISOString()).toBe('0001-01-01T00:00:00.000Z');
  fc.assert(
    fc.property(fc.integer({ min: FIRST, max: LAST }), (ms) => {
      expect(isoAt(ms)).toBe(new Date(ms).toISOString());
    }),
    { numRuns: 50_000 },
  );
});

test('isoAt writes the edges of days, months, leap years and its arithmetic range as toISOString does', () => {
  const edges = [
    0,
    -1,
    LAST,
    Date.UTC(1972, 1, 29, 12),
    Date.UTC(2000, 1, 29),
    Date.UTC(2100, 1, 28, 23, 59, 59, 999),
    Date.UTC(2100, 2, 1),
    Date.UTC(2400, 1, 29),
    Date.UTC(9999, 0, 1),
    1.5,
    Date.UTC(2026, 11, 31, 23, 59, 59, 999) + 0.25,
  ];
  const days = Array.from({ length: 3 * 366 }, (_, d) => Date.UTC(2027, 0, 1) + d * 86_400_000);
  for (const ms of [...edges, ...days, ...days.map((d) => d - 1)]) expect(isoAt(ms)).toBe(new Date(ms).toISOString());
});

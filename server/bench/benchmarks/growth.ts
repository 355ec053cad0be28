/**
 * 6. Per-request cost as one clinic grows from 1,000 to 100,000 appointments: GET /appointments
 * and GET /availability p50 at each size, against the same figure at 1,000. The clinic is open
 * around the clock in 5-minute slots; its appointments lie on distinct random slots from four
 * years ago to one year ahead (a clinic's history is mostly past), so the near future fills up
 * as it grows. Every request has a URL of its own (`distinct`), so none is answered from the
 * server's memory of an earlier one: the curve is the database path's.
 */
import { fail, insertAppointments, makeKeys, scaleClinic, shuffled, type Bench, type Running } from './fixtures';

export const GROWTH_SIZES = [1_000, 3_000, 10_000, 30_000, 100_000];
const SLOT = 5 * 60_000;
const DAY = 86_400_000;

const PATHS = [
  ['GET /api/v1/appointments?per_page=25', '/api/v1/appointments?per_page=25'],
  ['GET /api/v1/availability?limit=5', '/api/v1/availability?limit=5'],
] as const;

export async function growth(bench: Bench, r: Running, sizes = GROWTH_SIZES): Promise<void> {
  const smallest = sizes[0];
  const largest = sizes.at(-1);
  if (smallest === undefined || largest === undefined) fail('growth: no clinic sizes to measure');
  bench.log(`6. ${r.backend}: per-request cost as one clinic grows to ${largest.toLocaleString('en-US')} appointments`);
  const clinic = await scaleClinic(r.db, 'Bench Growth', 5, '00:00:00', '24:00:00');
  const lead = await r.db
    .insertInto('leads')
    .values({ clinic_id: clinic.clinicId, email: 'growth@example.com' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const firstSlot = Math.floor(Date.now() / DAY) * DAY - 4 * 365 * DAY;
  const slots = Array.from({ length: 5 * 365 * (DAY / SLOT) }, (_, i) => firstSlot + i * SLOT);
  const order = shuffled(slots, 7);
  const atFirst = new Map<string, number>();
  let inserted = 0;
  for (const size of sizes) {
    await insertAppointments(r.db, clinic.clinicId, lead.id, order.slice(inserted, size), SLOT);
    inserted = size;
    for (const [label, urlPath] of PATHS) {
      const keys = await makeKeys(r.db, clinic.clinicId, bench.getKeys);
      const result = await bench.load({ url: r.url, method: 'GET', path: urlPath, keys, distinct: true }, 200);
      const baseline = atFirst.get(label) ?? result.p50;
      atFirst.set(label, baseline);
      bench.record(
        `${r.backend}: ${label} p50 at ${size.toLocaleString('en-US')} appointments in the clinic (vs ${smallest.toLocaleString('en-US')})`,
        result.p50,
        'ms',
        baseline,
      );
    }
  }
  if (inserted > order.length) fail('growth: more appointments than distinct slots');
}

/**
 * 3. Availability on a full year: 10,000 appointments and 1,000 blocks, against an empty calendar.
 * The same URL again and again once; a new URL every request (the search itself, a goal row) in
 * `runs` runs, full and empty measured one right after the other in each. The busy slots start
 * today (00:00 UTC), so a search from now reads about as many of them at any hour of the run
 * (until round 12 they started tomorrow: a run before about 10:45 UTC had its first read, limit +
 * 32 slots, in today's free slots and read none, one after 20:00 UTC read 29 busy of 37).
 */
import { sql } from 'kysely';
import { goalFor } from '../goals';
import { api, fail, insertAppointments, makeKeys, scaleClinic, shuffled, type Bench, type Db, type Running } from './fixtures';

const SLOT = 15 * 60_000;
const DAY = 86_400_000;

export async function availabilityAtScale(bench: Bench, r: Running): Promise<void> {
  bench.log(`3. ${r.backend}: availability with 10,000 appointments and 1,000 blocks over a year, against an empty calendar`);
  const t0 = Date.now();
  const { full, empty } = await yearCalendars(r.db);
  bench.log(`  inserted 10,000 appointments and 1,000 blocks in ${Date.now() - t0} ms`);

  const urlPath = '/api/v1/availability?limit=5';
  const [fullId, emptyId] = [full.clinicId, empty.clinicId];
  const fullKeys = await makeKeys(r.db, full.clinicId, bench.getKeys);
  const emptyKeys = await makeKeys(r.db, empty.clinicId, bench.getKeys);
  const fullSlots = await api<{ data: unknown[] }>(r.url, full.key, 'GET', urlPath);
  const emptySlots = await api<{ data: unknown[] }>(r.url, empty.key, 'GET', urlPath);
  if (fullSlots.body.data.length !== 5 || emptySlots.body.data.length !== 5) fail('availability did not answer 5 slots');
  const onFull = await bench.load({ url: r.url, method: 'GET', path: urlPath, keys: fullKeys }, 200);
  const onEmpty = await bench.load({ url: r.url, method: 'GET', path: urlPath, keys: emptyKeys }, 200);
  bench.record(
    `${r.backend}: GET /availability?limit=5 p50, 10k appointments + 1k blocks (vs empty calendar)`,
    onFull.p50,
    'ms',
    onEmpty.p50,
  );
  bench.record(
    `${r.backend}: GET /availability?limit=5 p99, 10k appointments + 1k blocks (vs empty calendar)`,
    onFull.p99,
    'ms',
    onEmpty.p99,
  );
  bench.record(
    `${r.backend}: GET /availability?limit=5 throughput, 10k appointments + 1k blocks (vs empty calendar)`,
    onFull.rps,
    'req/s',
    onEmpty.rps,
  );
  // The same pair with a URL of its own every request: never from memory, always the search itself.
  const runs = await bench.repeat(async () => {
    const full = await bench.load(
      { url: r.url, method: 'GET', path: urlPath, keys: await makeKeys(r.db, fullId, bench.getKeys), distinct: true },
      200,
    );
    const empty = await bench.load(
      { url: r.url, method: 'GET', path: urlPath, keys: await makeKeys(r.db, emptyId, bench.getKeys), distinct: true },
      200,
    );
    return { value: full.p50, baseline: empty.p50 };
  });
  bench.recordRuns(
    `${r.backend}: GET /availability?limit=5 p50, 10k appointments + 1k blocks (vs empty calendar), a new URL every request`,
    'ms',
    runs,
    goalFor('availability-full-vs-empty-p50', r.backend),
  );
}

/**
 * Two clinics open every day 08:00-20:00 (UTC) in 15-minute slots: one with 10,000 appointments
 * and 1,000 blocks on distinct random slots of the coming year, one empty (also the profile's
 * QB_PROFILE_CALENDAR=year).
 */
export async function yearCalendars(
  db: Db,
): Promise<{ full: { clinicId: string; key: string }; empty: { clinicId: string; key: string } }> {
  // Every day 08:00-20:00 in 15-minute slots: 48 a day, 17,520 a year, room for 11,000 busy.
  const full = await scaleClinic(db, 'Bench Full Year');
  const empty = await scaleClinic(db, 'Bench Empty Year');
  const lead = await db
    .insertInto('leads')
    .values({ clinic_id: full.clinicId, email: 'year@example.com' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const firstDay = Math.floor(Date.now() / DAY) * DAY; // today 00:00 UTC: a search from now meets busy slots at any hour
  const starts: number[] = [];
  for (let d = 0; d < 365; d++) for (let s = 0; s < 48; s++) starts.push(firstDay + d * DAY + 8 * 3_600_000 + s * SLOT);
  // The same 11,000 distinct slots every run (so the no-overlap constraint holds).
  const order = shuffled(starts);
  const blocks = order.slice(10_000, 11_000);
  await insertAppointments(db, full.clinicId, lead.id, order.slice(0, 10_000), SLOT);
  for (let i = 0; i < blocks.length; i += 1000) {
    await db
      .insertInto('calendar_blocks')
      .values(
        blocks.slice(i, i + 1000).map((s, j) => ({
          clinic_id: full.clinicId,
          external_source: 'bench',
          external_id: `block-${i + j}`,
          starts_at: new Date(s),
          ends_at: new Date(s + SLOT),
        })),
      )
      .execute();
  }
  const counts = await db
    .selectNoFrom([
      sql<number>`(select count(*)::int from appointments where clinic_id = ${full.clinicId} and status <> 'cancelled')`.as('appointments'),
      sql<number>`(select count(*)::int from calendar_blocks where clinic_id = ${full.clinicId})`.as('blocks'),
    ])
    .executeTakeFirstOrThrow();
  if (Number(counts.appointments) !== 10_000 || Number(counts.blocks) !== 1000) fail(`calendar set-up wrote ${JSON.stringify(counts)}`);

  return { full, empty };
}

/**
 * 2. Bookings: throughput on distinct slots (a goal row: `runs` runs, each on clinics of its own,
 * against the ceiling right after it), and 200 concurrent attempts at one slot.
 */
import { sql } from 'kysely';
import { createClinic } from '../../services/clinics';
import { goalFor } from '../goals';
import { capture, createLead, fail, makeKeys, openSlots, PER_KEY, type Bench, type Running } from './fixtures';

const CLINICS = 8;
/**
 * Slots prepared per clinic: 24,000 in all, room for 4,800 bookings/s over a 5 s run (a run that
 * would book them all fails the bench: load.mjs's capacity). 1,500 each until issue 20's round 11,
 * when a quiet machine booked the 12,000 of the profile's POST load in under 5 s.
 */
const SLOTS_PER_CLINIC = 3000;

export interface Item {
  key: string;
  body: string;
}

/** Distinct free slots of `CLINICS` clinics, round-robin over the clinics, as bookings arrive (also the profile's POST load). */
export async function bookingItems(r: Running, run: number): Promise<{ items: Item[]; sample: Item }> {
  const perClinic: Item[][] = [];
  let sample: Item | undefined;
  for (let c = 0; c < CLINICS; c++) {
    const clinic = await createClinic(r.db, `Bench Bookings ${run}.${c}`, 'America/New_York');
    const leads: string[] = [];
    for (let l = 0; l < 4; l++) leads.push(await createLead(r.url, clinic.api_key, `book-${run}-${c}-${l}`));
    const slots = await openSlots(r.url, clinic.api_key, SLOTS_PER_CLINIC + 1);
    const keys = await makeKeys(r.db, clinic.clinic.id, Math.ceil(slots.length / PER_KEY));
    const items = slots.map((slot, j) => {
      const key = keys[Math.floor(j / PER_KEY)];
      if (!key) fail(`bookings: no API key for slot ${j}`);
      return { key, body: JSON.stringify({ lead_id: leads[j % leads.length], scheduled_at: slot }) };
    });
    if (c === 0) sample = items.shift();
    perClinic.push(items);
  }
  if (!sample) fail('bookings: no free slot for the sample booking');
  const items: Item[] = [];
  for (let j = 0; j < SLOTS_PER_CLINIC; j++) {
    for (const list of perClinic) {
      const item = list[j];
      if (item) items.push(item);
    }
  }
  return { items, sample };
}

async function distinctSlots(bench: Bench, r: Running): Promise<void> {
  const runs = await bench.repeat(async (run) => {
    const { items, sample } = await bookingItems(r, run);
    const captured = await capture(r.url, 'POST', '/api/v1/appointments', sample.key, sample.body);
    if (captured.status !== 201) fail(`sample booking answered ${captured.status}`);
    bench.ceiling.set('POST', '/api/v1/appointments', captured);
    const real = await bench.load({ url: r.url, method: 'POST', path: '/api/v1/appointments', items }, 201);
    const bare = await bench.load({ url: bench.ceiling.url, method: 'POST', path: '/api/v1/appointments', items }, 201);
    return { real, bare };
  });
  bench.recordRuns(
    `${r.backend}: POST /api/v1/appointments throughput (distinct slots, ${CLINICS} clinics)`,
    'req/s',
    runs.map(({ real, bare }) => ({ value: real.rps, baseline: bare.rps })),
    goalFor('booking-throughput', r.backend),
  );
  bench.recordRuns(
    `${r.backend}: POST /api/v1/appointments p99 latency (${bench.settings.connections} connections)`,
    'ms',
    runs.map(({ real, bare }) => ({ value: real.p99, baseline: bare.p99 })),
  );
}

interface RaceResult {
  statuses: Record<string, number>;
  settleMs: number;
  bodies201: string[];
}

async function raceForOneSlot(bench: Bench, r: Running): Promise<void> {
  const clinic = await createClinic(r.db, 'Bench Race', 'America/New_York');
  const leads: string[] = [];
  for (let l = 0; l < 5; l++) leads.push(await createLead(r.url, clinic.api_key, `race-${l}`));
  const [slot] = await openSlots(r.url, clinic.api_key, 1);
  if (!slot) fail(`race on ${r.backend}: no open slot`);
  const keys = await makeKeys(r.db, clinic.clinic.id, 4);
  const items = Array.from({ length: 200 }, (_, i) => {
    const key = keys[i % 4];
    if (!key) fail(`race on ${r.backend}: expected 4 API keys, got ${keys.length}`);
    return { key, body: JSON.stringify({ lead_id: leads[i % 5], scheduled_at: slot }) };
  });
  const race = await bench.child<RaceResult>('race.mjs', { url: r.url, method: 'POST', path: '/api/v1/appointments', items });
  if (race.statuses['201'] !== 1 || race.statuses['409'] !== 199) {
    fail(
      `200 concurrent bookings of one slot on ${r.backend}: expected exactly one 201 and 199 × 409, got ${JSON.stringify(race.statuses)}`,
    );
  }
  const stored = await r.db
    .selectFrom('appointments')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('clinic_id', '=', clinic.clinic.id)
    .where('scheduled_at', '=', new Date(slot))
    .executeTakeFirstOrThrow();
  if (Number(stored.n) !== 1) fail(`the raced slot holds ${stored.n} appointments`);
  const bare = await bench.child<RaceResult>('race.mjs', { url: bench.ceiling.url, method: 'POST', path: '/api/v1/appointments', items });
  bench.log(`  race on ${r.backend}: ${JSON.stringify(race.statuses)}; one appointment stored`);
  bench.record(
    `${r.backend}: 200 concurrent bookings of one slot, time to settle (exactly one 201, 199 × 409)`,
    race.settleMs,
    'ms',
    bare.settleMs,
  );
}

export async function bookings(bench: Bench, r: Running): Promise<void> {
  bench.log(`2. ${r.backend}: POST /api/v1/appointments on distinct slots, and a 200-way race for one slot`);
  await distinctSlots(bench, r);
  await raceForOneSlot(bench, r);
}

/**
 * 6. Per-request cost as one clinic grows from 1,000 to 100,000 appointments (the sizes are
 * `Settings.growthSizes`): p50 of the list's first page, of a deep page, of availability
 * (limit=5) and of availability over a full 92-day window, at each size, against the same request
 * on a reference clinic holding the smallest size. Both clinics are open around the clock in
 * 5-minute slots; their appointments lie on distinct random slots from four years ago to one year
 * ahead (a clinic's history is mostly past), so the near future fills up as a clinic grows. Every
 * request has a URL of its own (`distinct`): never answered from memory, the database path.
 *
 * The deep page is asked twice: by page number (`&page=1000`, reported) and by cursor
 * (`&starting_after=` the last appointment of the page before, as a client walking the list sends
 * it: the same 25 appointments). Since issue 20 the list takes a cursor, whose cost does not
 * depend on the depth; a page number still skips every earlier appointment in the index.
 *
 * At the largest size the first page and the deep page by cursor are goal rows: `runs` runs, the
 * grown clinic and the reference measured one right after the other in each (judged when the
 * sizes are the issue's, 1,000 to 100,000).
 */
import { goalFor } from '../goals';
import { sql } from 'kysely';
import { growthClinic, growthSlots, insertAppointments, makeKeys, type Bench, type Db, type Running } from './fixtures';

const PER_PAGE = 25;
/** The deep page: page 1,000 of 25, or the last full page of a clinic holding fewer than 25,000. */
const DEEP_PAGE = 1000;

interface Measured {
  /** The request, as a row names it. */
  label: string;
  path: string;
}

const count = (n: number) => n.toLocaleString('en-US');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The page number of the deep page of a clinic of `size`: page 1,000, or the last full page of a smaller clinic. */
const deepPage = (size: number) => Math.min(DEEP_PAGE, Math.floor(size / PER_PAGE));

/** The id of the appointment just before the deep page (what a client walking the list by cursor holds there). */
async function cursorBeforeDeepPage(db: Db, clinicId: string, size: number): Promise<string> {
  if (deepPage(size) < 2) throw new Error(`growth: a clinic of ${size} has no deep page; use sizes of at least ${2 * PER_PAGE}`);
  const { rows } = await sql<{ id: string }>`
    select id from appointments where clinic_id = ${clinicId}
    order by created_at desc, id desc offset ${(deepPage(size) - 1) * PER_PAGE - 1} limit 1`.execute(db);
  const id = rows[0]?.id;
  if (!id) throw new Error(`growth: the clinic of ${size} has no appointment before page ${deepPage(size)}`);
  return id;
}

/** The five requests of the growth rows for a clinic of `size` appointments (`cursor`: see cursorBeforeDeepPage). */
function requests(
  size: number,
  cursor: string,
): { first: Measured; deep: Measured; deepCursor: Measured; availability: Measured; window: Measured } {
  const page = deepPage(size);
  const tomorrow = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000;
  const to = tomorrow + 92 * 86_400_000;
  return {
    first: { label: `GET /api/v1/appointments?per_page=${PER_PAGE}`, path: `/api/v1/appointments?per_page=${PER_PAGE}` },
    deep: {
      label: `GET /api/v1/appointments?per_page=${PER_PAGE}&page=${page} (a deep page by number)`,
      path: `/api/v1/appointments?per_page=${PER_PAGE}&page=${page}`,
    },
    deepCursor: {
      label: `GET /api/v1/appointments?per_page=${PER_PAGE}&starting_after=<the last of page ${page - 1}> (a deep page by cursor)`,
      path: `/api/v1/appointments?per_page=${PER_PAGE}&starting_after=${cursor}`,
    },
    availability: { label: 'GET /api/v1/availability?limit=5', path: '/api/v1/availability?limit=5' },
    window: {
      label: 'GET /api/v1/availability over a full 92-day window (limit=100)',
      path: `/api/v1/availability?from=${day(tomorrow)}&to=${day(to)}&limit=100`,
    },
  };
}

type Kind = keyof ReturnType<typeof requests>;
const KINDS: Kind[] = ['first', 'deep', 'deepCursor', 'availability', 'window'];
/** The goal rows at the largest size (the issue's "first page and a deep page"), measured in runs. */
const GOAL_KINDS = { first: 'list-first-page-growth-p50', deepCursor: 'list-deep-page-growth-p50' } as const;

export async function growth(bench: Bench, r: Running): Promise<void> {
  const sizes = bench.settings.growthSizes;
  const smallest = sizes[0] ?? 1000;
  const largest = sizes.at(-1) ?? smallest;
  bench.log(`6. ${r.backend}: per-request cost as one clinic grows to ${count(largest)} appointments (vs one of ${count(smallest)})`);
  const slots = growthSlots(largest);
  const reference = await growthClinic(r.db, 'Bench Growth Reference');
  await insertAppointments(r.db, reference.clinicId, reference.leadId, slots.slice(0, smallest), reference.slotMs);
  const grown = await growthClinic(r.db, 'Bench Growth');
  const p50 = async (clinicId: string, m: Measured) =>
    (
      await bench.load(
        { url: r.url, method: 'GET', path: m.path, keys: await makeKeys(r.db, clinicId, bench.getKeys), distinct: true },
        200,
      )
    ).p50;
  const atSmallest = requests(smallest, await cursorBeforeDeepPage(r.db, reference.clinicId, smallest));
  for (const kind of KINDS) {
    const keys = await makeKeys(r.db, reference.clinicId, bench.getKeys);
    await bench.warmUp({ url: r.url, method: 'GET', path: atSmallest[kind].path, keys, distinct: true }, 200);
  }
  const base: Record<Kind, number> = { first: 0, deep: 0, deepCursor: 0, availability: 0, window: 0 };
  for (const kind of KINDS) {
    const value = await p50(reference.clinicId, atSmallest[kind]);
    base[kind] = value;
    bench.record(
      `${r.backend}: ${atSmallest[kind].label} p50 at ${count(smallest)} appointments in the clinic (vs ${count(smallest)})`,
      value,
      'ms',
      value,
    );
  }
  let inserted = 0;
  for (const size of sizes.slice(1)) {
    await insertAppointments(r.db, grown.clinicId, grown.leadId, slots.slice(inserted, size), grown.slotMs);
    inserted = size;
    const at = requests(size, await cursorBeforeDeepPage(r.db, grown.clinicId, size));
    const vs = (kind: Kind) => `vs ${kind === 'deep' || kind === 'deepCursor' ? `page ${deepPage(smallest)} at ` : ''}${count(smallest)}`;
    const name = (kind: Kind) => `${r.backend}: ${at[kind].label} p50 at ${count(size)} appointments in the clinic (${vs(kind)})`;
    for (const kind of KINDS) {
      if (size === largest && kind in GOAL_KINDS) continue; // the goal rows below
      bench.record(name(kind), await p50(grown.clinicId, at[kind]), 'ms', base[kind]);
    }
    if (size !== largest) continue;
    const issueSizes = smallest === 1000 && largest === 100_000;
    for (const [kind, goal] of Object.entries(GOAL_KINDS) as [keyof typeof GOAL_KINDS, (typeof GOAL_KINDS)[keyof typeof GOAL_KINDS]][]) {
      const runs = await bench.repeat(async () => ({
        value: await p50(grown.clinicId, at[kind]),
        baseline: await p50(reference.clinicId, atSmallest[kind]),
      }));
      bench.recordRuns(name(kind), 'ms', runs, issueSizes ? goalFor(goal, r.backend) : undefined);
    }
  }
}

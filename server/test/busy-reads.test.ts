/**
 * GET /availability reads the busy pages of concurrent searches in one statement
 * (services/busy-reads.ts). Every search must answer exactly what it answers alone (the slots,
 * and until when they stay the answer, or its error), for every query form: limits small and
 * large (the two first page sizes), days and instants for `from` and `to`, a past `from`, the
 * full 92-day window, windows refused (400), preferences, and calendars full enough that a search
 * reads busy pages beyond its first; on both backends. Each also answers what the slot engine finds
 * over all the busy time of its window.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { AvailabilityQuery } from '../../contract';
import { fromLocal } from '../booking/time';
import type { DatabaseHandle } from '../db/connect';
import { findOpenSlots } from '../booking/slots';
import { answerAvailability, loadBusy, loadCalendar, parseBoundary, SMALL_FIRST_PAGE } from '../services/booking';
import { createBusyReads } from '../services/busy-reads';
import { createClinic } from '../services/clinics';
import { futureMonday, nextDay } from './support/booking';
import { expectGenericPlanKept, groupedStatementPlans } from './support/plans';
import { backends, openTestDatabase } from './support/databases';

const DAY = 86_400_000;
const SLOT = 30 * 60_000;
/** Open hours of createClinic's clinics: Mon-Fri 09:00-17:00 local, 16 slots of 30 minutes a day. */
const SLOTS_A_DAY = 16;
/** The calendars' wall of blocked slots, and the booked slots after it. */
const WALL = 28;
const WALL_AFTER = 12;
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata'] as const;

describe.each(backends())('busy reads grouped on %s', (backend) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database.close();
  });

  const monday = futureMonday(1);
  /** The searches' clock: the Saturday before `monday`, 10:00 UTC. */
  const now = Date.parse(`${monday}T10:00:00Z`) - 2 * DAY;

  /** The start of the n-th open slot (Mon-Fri 09:00-17:00 local) from `monday`, in a zone. */
  function openSlot(n: number, timeZone: string): number {
    const week = Math.floor(n / (5 * SLOTS_A_DAY));
    const day = nextDay(monday, week * 7 + Math.floor((n % (5 * SLOTS_A_DAY)) / SLOTS_A_DAY));
    const [y, m, d] = day.split('-').map(Number) as [number, number, number];
    const minute = 9 * 60 + (n % SLOTS_A_DAY) * 30;
    return fromLocal(y, m, d, Math.floor(minute / 60), minute % 60, timeZone);
  }

  /**
   * A clinic's calendar: appointments on distinct open slots (some cancelled), the first
   * `dense` open slots all booked (more than a first page of a small search: it reads further
   * pages), and blocks anywhere of any length.
   */
  const calendar = fc.record({
    zone: fc.constantFrom(...ZONES),
    dense: fc.constantFrom(0, SMALL_FIRST_PAGE - 12, SMALL_FIRST_PAGE + 8, 140),
    /**
     * A block over the WALL open slots after the dense ones, then WALL_AFTER booked: a small
     * search's first read (limit + 32 slots) ends inside the block with fewer appointments than a
     * page, and the appointments after it are read by the next one.
     */
    wall: fc.boolean(),
    booked: fc.uniqueArray(fc.record({ slot: fc.nat({ max: 300 }), cancelled: fc.boolean() }), {
      maxLength: 30,
      selector: (b) => b.slot,
    }),
    blocks: fc.array(fc.record({ slot: fc.nat({ max: 300 }), minutes: fc.integer({ min: 1, max: 600 }) }), { maxLength: 6 }),
  });
  type Calendar = typeof calendar extends fc.Arbitrary<infer R> ? R : never;

  async function seed(c: Calendar, n: number): Promise<{ id: string; zone: string }> {
    const { clinic } = await createClinic(database.db, `Grouped ${n}`, c.zone);
    const lead = await database.db
      .insertInto('leads')
      .values({ clinic_id: clinic.id, email: `grouped-${n}@example.com` })
      .returning('id')
      .executeTakeFirstOrThrow();
    const wall = c.wall && c.dense > 0;
    const dense = Array.from({ length: c.dense }, (_, slot) => ({ slot, cancelled: false }));
    const afterWall = wall ? Array.from({ length: WALL_AFTER }, (_, i) => ({ slot: c.dense + WALL + i, cancelled: false })) : [];
    const taken = c.dense + (wall ? WALL + WALL_AFTER : 0);
    const booked = [...dense, ...afterWall, ...c.booked.filter((b) => b.slot >= taken)];
    if (booked.length > 0) {
      await database.db
        .insertInto('appointments')
        .values(
          booked.map((b) => {
            const start = openSlot(b.slot, c.zone);
            return {
              clinic_id: clinic.id,
              lead_id: lead.id,
              scheduled_at: new Date(start),
              ends_at: new Date(start + SLOT),
              status: b.cancelled ? 'cancelled' : 'confirmed',
            };
          }),
        )
        .execute();
    }
    if (wall) {
      const start = openSlot(c.dense, c.zone);
      await sql`insert into calendar_blocks (clinic_id, external_source, external_id, starts_at, ends_at)
        values (${clinic.id}, 'test', 'wall', ${new Date(start)}, ${new Date(openSlot(c.dense + WALL - 1, c.zone) + SLOT)})`.execute(
        database.db,
      );
    }
    for (const [i, b] of c.blocks.entries()) {
      const start = openSlot(b.slot, c.zone) + 7 * 60_000;
      await sql`insert into calendar_blocks (clinic_id, external_source, external_id, starts_at, ends_at)
        values (${clinic.id}, 'test', ${String(i)}, ${new Date(start)}, ${new Date(start + b.minutes * 60_000)})`.execute(database.db);
    }
    return { id: clinic.id, zone: c.zone };
  }

  /** A search's query: `from` a day (past ones too) or an instant with an offset; `to` before, after, 92 or 93 days on. */
  const search = fc.record({
    clinic: fc.nat(),
    limit: fc.constantFrom(1, 5, 10, 11, 40, 100),
    preference: fc.constantFrom('any', 'any', 'morning', 'afternoon', 'evening'),
    from: fc.oneof(
      fc.constant(undefined),
      fc.integer({ min: -4, max: 20 }).map((days) => nextDay(monday, days)),
      fc.integer({ min: 0, max: 20 * 48 }).map((halfHours) => new Date(now + halfHours * SLOT + 17 * 60_000).toISOString()),
    ),
    to: fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(-1, 1, 3, 15, 92, 93).map((days) => ({ days })),
      fc.integer({ min: 1, max: 90 * 24 }).map((hours) => ({ hours })),
    ),
  });
  type Search = typeof search extends fc.Arbitrary<infer R> ? R : never;

  function queryOf(s: Search): AvailabilityQuery {
    const fromDay = s.from === undefined ? nextDay(monday, -2) : s.from.slice(0, 10);
    const to =
      s.to === undefined
        ? undefined
        : 'days' in s.to
          ? nextDay(fromDay, s.to.days)
          : new Date(Date.parse(`${fromDay}T00:00:00Z`) + s.to.hours * 3_600_000).toISOString();
    return AvailabilityQuery.parse({ from: s.from, to, preference: s.preference, limit: String(s.limit) });
  }

  /** A search's outcome: its slots and sameUntil, or its error's class, message and details. */
  const settle = (answer: Promise<unknown>) =>
    answer.then(
      (a) => a,
      (error) => ({ name: error?.name, message: error?.message, details: error?.details }),
    );

  /** The starts of the open slots of a search, from the slot engine over all the busy time of its window. */
  async function reference(clinicId: string, query: AvailabilityQuery): Promise<number[]> {
    const calendar = await loadCalendar(database.db, clinicId);
    const requested = query.from ? parseBoundary(query.from, calendar.timeZone) : now;
    const to = query.to ? parseBoundary(query.to, calendar.timeZone) : Math.max(requested, now) + 14 * DAY;
    const from = Math.max(requested, now);
    if (from >= to) return [];
    const busy = await loadBusy(database.db, clinicId, from, to);
    return findOpenSlots({ ...calendar, busy, from, to, now, preference: query.preference, limit: query.limit }).map((slot) => slot.start);
  }

  it('answers the searches whose busy pages are read together as it answers each alone', async () => {
    const statements: { calls: number; shape: string }[] = [];
    const readBusy = createBusyReads(database.db, { onStatement: (calls, shape) => statements.push({ calls, shape }) });
    let seeded = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(calendar, { minLength: 1, maxLength: 3 }),
        fc.array(search, { minLength: 2, maxLength: 10 }),
        async (calendars, searches) => {
          const clinics: { id: string; zone: string }[] = [];
          for (const c of calendars) clinics.push(await seed(c, seeded++));
          const asked = searches.map((s) => ({ clinic: clinics[s.clinic % clinics.length]!, query: queryOf(s) }));
          const alone = [];
          for (const a of asked) alone.push(await settle(answerAvailability(database.db, a.clinic.id, a.query, now)));
          const together = await Promise.all(
            asked.map((a) => settle(answerAvailability(database.db, a.clinic.id, a.query, now, readBusy))),
          );
          expect(together).toEqual(alone);
          // And each answers what the slot engine finds over all the busy time of its window.
          for (const [i, a] of asked.entries()) {
            const answer = alone[i] as { slots?: { scheduled_at: string }[] };
            if (answer.slots)
              expect(answer.slots.map((slot) => Date.parse(slot.scheduled_at))).toEqual(await reference(a.clinic.id, a.query));
          }
        },
      ),
      { numRuns: 25 },
    );
    // Not vacuous: statements read several searches' pages, first pages and later ones.
    const grouped = statements.filter((s) => s.calls > 1);
    expect(new Set(grouped.map((s) => s.shape))).toEqual(new Set(['32', '128', '2048']));
  });
});

/**
 * PostgreSQL keeps one plan of the grouped busy statement per connection (its generic plan, after
 * five runs) rather than planning it again for every group: groups under the parameter estimate
 * of 10 once made each custom plan look cheaper (issue 20, round 11: 840 plans in 1,042 calls).
 * Read from the connection's own prepared statements, in one transaction so every statement runs on it.
 */
for (const backend of backends().filter((b) => b === 'postgres')) {
  describe(`the grouped busy statement's plan on ${backend}`, () => {
    let database: DatabaseHandle;
    beforeAll(async () => {
      database = await openTestDatabase(backend);
    });
    afterAll(() => database.close());

    it('is planned once, then run from its generic plan, whatever the group size', async () => {
      const { clinic } = await createClinic(database.db, 'Busy Plan Clinic', 'UTC');
      const from = Date.parse(`${futureMonday(1)}T00:00:00Z`);
      // One read goes alone, the next ones of a round meet in one statement: 2 to 4 of them.
      const plans = await groupedStatementPlans(
        database.db,
        'with ordinality as r(clinic_id, from_at, to_at, ord)',
        (trx, sizes) => {
          const readBusy = createBusyReads(trx, { onStatement: (n) => sizes.push(n) });
          return (i) => readBusy(clinic.id, from + i * DAY, from + (i + 2) * DAY, SMALL_FIRST_PAGE);
        },
        (page) => expect(page).toEqual({ busy: [], knownUntil: Number.POSITIVE_INFINITY }),
      );
      expectGenericPlanKept(plans);
    });
  });
}

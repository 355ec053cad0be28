/**
 * GET /availability reads the busy pages of concurrent searches in one statement
 * (services/busy-reads.ts). Every search must answer exactly what it answers alone (the slots,
 * and until when they stay the answer, or its error), for every query form: limits small and
 * large (the two first page sizes), days and instants for `from` and `to`, a past `from`, the
 * full 92-day window, windows refused (400), preferences, and calendars full enough that a search
 * reads busy pages beyond its first; on both backends.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { AvailabilityQuery } from '../../contract';
import { fromLocal } from '../booking/time';
import type { DatabaseHandle } from '../db/connect';
import { answerAvailability, SMALL_FIRST_PAGE } from '../services/booking';
import { createBusyReads } from '../services/busy-reads';
import { createClinic } from '../services/clinics';
import { futureMonday, nextDay } from './support/booking';
import { backends, openTestDatabase } from './support/databases';

const DAY = 86_400_000;
const SLOT = 30 * 60_000;
/** Open hours of createClinic's clinics: Mon-Fri 09:00-17:00 local, 16 slots of 30 minutes a day. */
const SLOTS_A_DAY = 16;
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
    dense: fc.constantFrom(0, 0, SMALL_FIRST_PAGE + 8, 140),
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
    const dense = Array.from({ length: c.dense }, (_, slot) => ({ slot, cancelled: false }));
    const booked = [...dense, ...c.booked.filter((b) => b.slot >= c.dense)];
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
        },
      ),
      { numRuns: 25 },
    );
    // Not vacuous: statements read several searches' pages, first pages and later ones.
    const grouped = statements.filter((s) => s.calls > 1);
    expect(new Set(grouped.map((s) => s.shape))).toEqual(new Set(['32', '128', '2048']));
  });
});

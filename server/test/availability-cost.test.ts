/**
 * Issue 19, item 5: 31,680 one-minute blocks made one GET /availability over 92 days take ~495
 * sequential queries (5 s of PGlite's shared thread). Busy time is now merged by the database
 * (`range_agg`) in one query, a search reads a bounded number of appointments in at most three
 * queries, and a clinic holds a bounded number of blocks that have not ended (409 `limit_reached`).
 */
import { sql } from 'kysely';
import pino from 'pino';
import type { DatabaseHandle } from '../db/connect';
import { startServer, type RunningServer } from '../server';
import { findOpenSlots } from '../booking/slots';
import { answerAvailability, BUSY_PAGES, loadBusy, loadCalendar, loadMergedBusy, SMALL_FIRST_PAGE } from '../services/booking';
import { availabilityBusyReads } from '../services/busy-reads';
import { createClinic } from '../services/clinics';
import { futureMonday } from './support/booking';
import { backends, openTestDatabase } from './support/databases';
import { countedDatabase, queryCounter } from './support/db-counts';
import { apiClient, type ApiClient } from './support/server';

const DAY = 86_400_000;
const BLOCK_LIMIT = 40;

describe.each(backends())('availability cost on %s', (backend) => {
  let database: DatabaseHandle;
  let running: RunningServer;
  const counter = queryCounter();

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    running = await startServer({
      database: countedDatabase(database, counter),
      config: { port: 0, host: '127.0.0.1', runWorker: false, clinicBlockLimit: BLOCK_LIMIT },
      logger: pino({ level: 'silent' }),
      seedDemo: false,
    });
  });
  afterAll(async () => {
    await running.close();
    await database.close();
  });

  /** A clinic open Mon-Fri 09:00-17:00 UTC in 30-minute slots, and a client with its key. */
  async function clinic(name: string): Promise<{ id: string; api: ApiClient }> {
    const created = await createClinic(database.db, name, 'UTC');
    return { id: created.clinic.id, api: apiClient(running.url, created.api_key) };
  }

  /** Reads the clinic's calendar into memory (its first search does), so a count sees the search alone. */
  const warm = (api: ApiClient) => api.get('/api/v1/availability?limit=1');

  async function roundTrips(fn: () => Promise<unknown>): Promise<number> {
    const before = counter.count;
    await fn();
    return counter.count - before;
  }

  it('answers a 92-day search over 31,680 one-minute blocks with one query of busy time', async () => {
    const { id, api } = await clinic('Blocked Every Minute');
    const from = Date.parse(`${futureMonday(1)}T00:00:00Z`);
    const to = from + 92 * DAY;
    // Every minute of the opening hours blocked, except 14:00-14:30 on one weekday 80 days in.
    const gapStart = from + 80 * DAY + 14 * 3_600_000; // a Thursday (a Monday + 80 days)
    const inserted = await sql<{ n: number }>`
      with ins as (
        insert into calendar_blocks (clinic_id, external_source, external_id, starts_at, ends_at)
        select ${id}, 'attack', 'm' || extract(epoch from g)::bigint, g, g + interval '1 minute'
        from generate_series(${new Date(from)}::timestamptz, ${new Date(to - 60_000)}::timestamptz, interval '1 minute') as g
        where extract(isodow from g at time zone 'UTC') between 1 and 5
          and (g at time zone 'UTC')::time >= '09:00' and (g at time zone 'UTC')::time < '17:00'
          and not (g >= ${new Date(gapStart)}::timestamptz and g < ${new Date(gapStart + 30 * 60_000)}::timestamptz)
        returning 1
      ) select count(*)::int as n from ins`.execute(database.db);
    expect(Number(inserted.rows[0]!.n)).toBeGreaterThanOrEqual(31_000);
    let res!: { status: number; body: { data: { scheduled_at: string }[] } };
    const path = `/api/v1/availability?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=1`;
    await warm(api);
    // The key statement, the first read (the search's first 33 slots, all blocked), then the busy
    // time of the rest of the window, merged: 3 round trips, not ~495.
    expect(await roundTrips(async () => (res = await api.get(path)))).toBe(3);
    expect(res.status).toBe(200);
    expect(res.body.data.map((s) => s.scheduled_at)).toEqual([new Date(gapStart).toISOString()]);
  });

  it('reads a bounded number of appointments however full the calendar is', async () => {
    const { id, api } = await clinic('Booked Every Minute');
    const lead = await database.db
      .insertInto('leads')
      .values({ clinic_id: id, email: 'minute@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const from = Date.parse(`${futureMonday(1)}T00:00:00Z`);
    const to = from + 92 * DAY;
    // More one-minute appointments than every page of a search together, each one the clinic's own.
    await sql`
      insert into appointments (clinic_id, lead_id, scheduled_at, ends_at)
      select ${id}, ${lead.id}, g, g + interval '1 minute'
      from generate_series(${new Date(from)}::timestamptz, ${new Date(to - 60_000)}::timestamptz, interval '1 minute') as g
      where extract(isodow from g at time zone 'UTC') between 1 and 5
        and (g at time zone 'UTC')::time >= '09:00' and (g at time zone 'UTC')::time < '17:00'`.execute(database.db);
    const total = BUSY_PAGES.reduce((a, b) => a + b, 0);
    const booked = await database.db
      .selectFrom('appointments')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('clinic_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(Number(booked.n)).toBeGreaterThan(total);
    const path = `/api/v1/availability?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=1`;
    let res!: { status: number; body: { data: unknown[] } };
    await warm(api);
    // The key statement and at most one query per page: bounded, whatever the clinic stores.
    expect(await roundTrips(async () => (res = await api.get(path)))).toBeLessThanOrEqual(1 + BUSY_PAGES.length);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
  });

  /** Appointments of `minutes` at the given starts (with a lead of their own), inserted directly. */
  async function bookDirectly(clinicId: string, starts: number[], minutes = 30): Promise<void> {
    const lead = await database.db
      .insertInto('leads')
      .values({ clinic_id: clinicId, email: `direct-${clinicId}@example.com` })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('appointments')
      .values(
        starts.map((s) => ({ clinic_id: clinicId, lead_id: lead.id, scheduled_at: new Date(s), ends_at: new Date(s + minutes * 60_000) })),
      )
      .execute();
  }

  const blockRows = (clinicId: string, spans: [number, number][]) =>
    database.db
      .insertInto('calendar_blocks')
      .values(
        spans.map(([start, end], i) => ({
          clinic_id: clinicId,
          external_source: 'test',
          external_id: `b${i}`,
          starts_at: new Date(start),
          ends_at: new Date(end),
        })),
      )
      .execute();

  it('reads blocks only up to the last appointment of a full page: later busy time is not known yet', async () => {
    const { id } = await clinic('Block Horizon');
    const from = Date.parse(`${futureMonday(1)}T00:00:00Z`);
    const HOUR = 3_600_000;
    // 40 half-hour appointments, one an hour; a block in the gap after the 6th (inside the first
    // page of 32) and one in the gap after the 34th (past it).
    await bookDirectly(
      id,
      Array.from({ length: 40 }, (_, i) => from + i * HOUR),
    );
    await blockRows(id, [
      [from + 5.5 * HOUR, from + 6 * HOUR],
      [from + 33.5 * HOUR, from + 34 * HOUR],
    ]);
    const page = await loadMergedBusy(database.db, id, from, from + 7 * DAY, SMALL_FIRST_PAGE);
    expect(page.knownUntil).toBe(from + 31 * HOUR);
    const expected = Array.from({ length: 32 }, (_, i) => ({ start: from + i * HOUR, end: from + i * HOUR + HOUR / 2 })).filter(
      (_, i) => i !== 6,
    );
    expected[5] = { start: from + 5 * HOUR, end: from + 6.5 * HOUR };
    expect(page.busy).toEqual(expected);
    // A page that is not full knows the whole window: every block in it counts.
    const whole = await loadMergedBusy(database.db, id, from, from + 7 * DAY, 128);
    expect(whole.knownUntil).toBe(Number.POSITIVE_INFINITY);
    expect(whole.busy).toContainEqual({ start: from + 33 * HOUR, end: from + 34.5 * HOUR });
  });

  it('finds the appointment under way at `from` behind a longer history, a cancelled one and one that ended', async () => {
    const { id } = await clinic('Under Way');
    const from = Date.parse(`${futureMonday(1)}T12:00:00Z`);
    const HOUR = 3_600_000;
    // A long history before `from`, one that ended just before it, then the one under way
    // (11:00-13:00, two hours); a cancelled one starting later, 11:30-14:00, must not hide it.
    await bookDirectly(
      id,
      Array.from({ length: 60 }, (_, i) => from - 3 * DAY - i * HOUR),
    );
    const lead = await database.db
      .insertInto('leads')
      .values({ clinic_id: id, email: 'under-way@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const appointment = (start: number, end: number, status: 'confirmed' | 'cancelled') => ({
      clinic_id: id,
      lead_id: lead.id,
      scheduled_at: new Date(start),
      ends_at: new Date(end),
      status,
    });
    await database.db
      .insertInto('appointments')
      .values([
        appointment(from - 2 * HOUR, from - HOUR, 'confirmed'),
        appointment(from - HOUR, from + HOUR, 'confirmed'),
        appointment(from - HOUR / 2, from + 2 * HOUR, 'cancelled'),
      ])
      .execute();
    const page = await loadMergedBusy(database.db, id, from, from + DAY, SMALL_FIRST_PAGE);
    expect(page.busy).toEqual([{ start: from - HOUR, end: from + HOUR }]);
    expect(page.knownUntil).toBe(Number.POSITIVE_INFINITY);
  });

  it('finds slots past a small first page in a second query, blocks beyond that page included', async () => {
    const { id, api } = await clinic('Past The First Page');
    const monday = futureMonday(1);
    const day = Date.parse(`${monday}T00:00:00Z`);
    const HOUR = 3_600_000;
    // Every half-hour slot Monday 09:00 to Wednesday 13:00 booked (40, more than the small first
    // page), then a block Wednesday 13:00-14:00: beyond what the first page covers.
    const booked = [0, 1, 2].flatMap((d) => Array.from({ length: d === 2 ? 8 : 16 }, (_, i) => day + d * DAY + 9 * HOUR + (i * HOUR) / 2));
    expect(booked.length).toBeGreaterThan(SMALL_FIRST_PAGE);
    await bookDirectly(id, booked);
    await blockRows(id, [[day + 2 * DAY + 13 * HOUR, day + 2 * DAY + 14 * HOUR]]);
    await warm(api);
    let res!: { status: number; body: { data: { scheduled_at: string }[] } };
    const path = `/api/v1/availability?from=${monday}&limit=5`;
    // The key statement, the small first page (no open slot in it), then the next page.
    expect(await roundTrips(async () => (res = await api.get(path)))).toBe(3);
    expect(res.status).toBe(200);
    const wednesday = day + 2 * DAY;
    expect(res.body.data.map((s) => s.scheduled_at)).toEqual(
      [14, 14.5, 15, 15.5, 16].map((h) => new Date(wednesday + h * HOUR).toISOString()),
    );
    // More than 10 slots asked: one first page of 128 covers the 40 appointments.
    expect(await roundTrips(async () => (res = await api.get(`/api/v1/availability?from=${monday}&limit=11`)))).toBe(2);
    expect(res.body.data[0]!.scheduled_at).toBe(new Date(wednesday + 14 * HOUR).toISOString());
  });

  it("ends a small search's first read (limit + 32) slots on, and answers what the slot engine does over all the busy time", async () => {
    const { id } = await clinic('First Read Window');
    const monday = futureMonday(1);
    const day = Date.parse(`${monday}T00:00:00Z`);
    const HOUR = 3_600_000;
    // Two weekday slots in three booked for two weeks: 32 appointments reach past the 37th slot.
    const slots = Array.from({ length: 12 }, (_, d) => d)
      .filter((d) => d % 7 < 5)
      .flatMap((d) => Array.from({ length: 16 }, (_, i) => day + d * DAY + 9 * HOUR + (i * HOUR) / 2));
    await bookDirectly(
      id,
      slots.filter((_, i) => i % 3 !== 2),
    );
    const now = day - 2 * DAY;
    const calendar = await loadCalendar(database.db, id);
    for (const [preference, readEnd] of [
      // The 37th slot of the week (16 a day) ends Wednesday 11:30; of the afternoons (10 a day) Thursday 15:30.
      ['any', day + 2 * DAY + 11.5 * HOUR],
      ['afternoon', day + 3 * DAY + 15.5 * HOUR],
    ] as const) {
      const reads: { from: number; to: number; appointments: number }[] = [];
      const answer = await answerAvailability(
        database.db,
        id,
        { from: monday, limit: 5, preference },
        now,
        (clinicId, from, to, appointments) => {
          reads.push({ from, to, appointments });
          return loadMergedBusy(database.db, clinicId, from, to, appointments);
        },
      );
      expect(reads).toEqual([{ from: day, to: readEnd, appointments: SMALL_FIRST_PAGE }]);
      const busy = await loadBusy(database.db, id, day, day + 14 * DAY);
      const expected = findOpenSlots({ ...calendar, busy, from: day, to: day + 14 * DAY, now, preference, limit: 5 });
      expect(answer.slots.map((s) => Date.parse(s.scheduled_at))).toEqual(expected.map((s) => s.start));
    }
  });

  it('answers limit=100 over 92 days exactly as the slot engine does over all the busy time', async () => {
    const { id, api } = await clinic('Ninety Two Days');
    const from = Date.parse(`${futureMonday(1)}T00:00:00Z`);
    const to = from + 92 * DAY;
    const HOUR = 3_600_000;
    // Every weekday slot of 92 days but one in 40 free, and blocks over a few of the free ones.
    const slots = Array.from({ length: 92 }, (_, d) => d).flatMap((d) =>
      new Date(from + d * DAY).getUTCDay() % 6 === 0
        ? []
        : Array.from({ length: 16 }, (_, i) => from + d * DAY + 9 * HOUR + (i * HOUR) / 2),
    );
    await bookDirectly(
      id,
      slots.filter((_, i) => i % 40 !== 7),
    );
    await blockRows(
      id,
      slots.filter((_, i) => i % 40 === 7 && i % 120 === 7).map((s) => [s, s + HOUR / 2] as [number, number]),
    );
    const path = `/api/v1/availability?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=100`;
    const res = await api.get(path);
    expect(res.status).toBe(200);
    const calendar = await loadCalendar(database.db, id);
    const busy = await loadBusy(database.db, id, from, to);
    const expected = findOpenSlots({ ...calendar, busy, from, to, now: Date.now(), preference: 'any', limit: 100 });
    expect(expected.length).toBeGreaterThan(10);
    expect((res.body as { data: { scheduled_at: string }[] }).data.map((s) => Date.parse(s.scheduled_at))).toEqual(
      expected.map((s) => s.start),
    );
  });

  it("the route's reader: on PostgreSQL the busy pages of searches that run together in fewer statements than searches; on PGlite each search's own", async () => {
    const { id } = await clinic('Searched Together');
    const from = Date.parse(`${futureMonday(1)}T00:00:00Z`);
    const HOUR = 3_600_000;
    await bookDirectly(
      id,
      Array.from({ length: 10 }, (_, d) => from + d * DAY + 10 * HOUR),
    );
    const routeReader = availabilityBusyReads(countedDatabase(database, counter));
    // On PGlite the route leaves the reader out: answerAvailability reads each search's page alone.
    expect(routeReader === undefined).toBe(backend === 'pglite');
    const readBusy =
      routeReader ??
      ((clinicId: string, f: number, t: number, n: number) => loadMergedBusy(countedDatabase(database, counter).db, clinicId, f, t, n));
    const windows = Array.from({ length: 10 }, (_, d) => [from + d * DAY, from + (d + 1) * DAY] as const);
    const before = counter.count;
    const pages = await Promise.all(windows.map(([f, t]) => readBusy(id, f, t, SMALL_FIRST_PAGE)));
    if (backend === 'postgres') expect(counter.count - before).toBeLessThan(windows.length);
    else expect(counter.count - before).toBe(windows.length);
    for (const [i, [f, t]] of windows.entries()) {
      expect(pages[i]).toEqual(await loadMergedBusy(database.db, id, f, t, SMALL_FIRST_PAGE));
      expect(pages[i]!.busy).toEqual([{ start: f + 10 * HOUR, end: f + 10.5 * HOUR }]);
    }
  });

  describe('blocks per clinic', () => {
    const block = (api: ApiClient, externalId: string, startsAt: number, minutes = 30) =>
      api.post('/api/v1/availability/blocks', {
        external_source: 'google_calendar',
        external_id: externalId,
        starts_at: new Date(startsAt).toISOString(),
        ends_at: new Date(startsAt + minutes * 60_000).toISOString(),
      });

    it('refuses one live block past the cap, even in a parallel burst, and says what to do', async () => {
      const { api } = await clinic('Block Cap');
      const start = Date.parse(`${futureMonday(2)}T09:00:00Z`);
      const answers = await Promise.all(Array.from({ length: BLOCK_LIMIT + 25 }, (_, i) => block(api, `evt-${i}`, start + i * 3_600_000)));
      expect(answers.filter((r) => r.status === 201)).toHaveLength(BLOCK_LIMIT);
      const refused = answers.filter((r) => r.status === 409);
      expect(refused).toHaveLength(25);
      expect(refused[0]!.body.code).toBe('limit_reached');
      expect(refused[0]!.body.error).toContain(`This clinic already has ${BLOCK_LIMIT} calendar blocks that have not ended`);
      expect(refused[0]!.body.error).toContain('DELETE /api/v1/availability/blocks');

      const created = answers.find((r) => r.status === 201)!.body;
      // At the cap, a live block can still be updated; a block that ended is no live block...
      expect((await block(api, created.external_id, Date.parse(created.starts_at), 45)).status).toBe(200);
      expect((await block(api, 'ended', Date.now() - 2 * DAY)).status).toBe(201);
      // ...and cannot be moved into the future past the cap.
      expect((await block(api, 'ended', start + 500 * 3_600_000)).status).toBe(409);
      // Deleting a block makes room.
      const q = `external_source=google_calendar&external_id=${encodeURIComponent(created.external_id)}`;
      expect((await api.delete(`/api/v1/availability/blocks?${q}`)).status).toBe(204);
      expect((await block(api, 'after-delete', start + 600 * 3_600_000)).status).toBe(201);
    });

    it("counts each clinic's blocks on their own", async () => {
      const { api } = await clinic('Block Neighbour');
      expect((await block(api, 'mine', Date.parse(`${futureMonday(2)}T09:00:00Z`))).status).toBe(201);
    });
  });
});

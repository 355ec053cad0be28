/** GET /api/v1/availability through the API, on both backends: time zones, DST, preferences, limits, busy time. */
import { z } from 'zod';
import { ErrorBody, Slot } from '../../contract';
import {
  ALL_WEEK_ALL_DAY,
  freshClient,
  futureMonday,
  localDay,
  localTime,
  nextDay,
  nextDstChanges,
  setOpeningHours,
  slotsOfDay,
} from './support/booking';
import { backends } from './support/databases';
import { rawRequest, startTestServer, type ApiClient, type TestClinic, type TestServer } from './support/server';

const SlotList = z.object({ data: z.array(Slot) }).strict();
const NY = 'America/New_York';
const KOLKATA = 'Asia/Kolkata';
const MIN = 60_000;

/** The 16 half-hour starts of a 09:00-17:00 day. */
const NINE_TO_FIVE = Array.from({ length: 16 }, (_, i) => `${String(9 + Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}`);

describe.each(backends())('GET /api/v1/availability on %s', (backend) => {
  let srv: TestServer;
  let ny: TestClinic; // Mon-Fri 09:00-17:00 New York, 30-minute slots
  let allDay: TestClinic; // every day 00:00-24:00 Kolkata (UTC+05:30), 30-minute slots
  let api: ApiClient; // fresh key of `ny` per test
  let allDayApi: ApiClient;
  let leadId: string;

  const get = async (query: string, client = api) => {
    const res = await client.get(`/api/v1/availability${query ? `?${query}` : ''}`);
    if (res.status === 200) return { status: 200, slots: SlotList.parse(res.body).data };
    return { status: res.status, error: ErrorBody.parse(res.body) };
  };

  beforeAll(async () => {
    srv = await startTestServer(backend);
    ny = await srv.clinic('Availability NY', NY);
    allDay = await srv.clinic('Availability Kolkata', KOLKATA);
    await setOpeningHours(srv, allDay.clinic.id, ALL_WEEK_ALL_DAY);
    leadId = (await ny.api.post('/api/v1/leads', { full_name: 'Slot Lead', phone: '+14155550131' })).body.id;
  });
  beforeEach(async () => {
    api = await freshClient(srv, ny.clinic.id);
    allDayApi = await freshClient(srv, allDay.clinic.id);
  });
  afterAll(() => srv.close());

  it('offers 16 half-hour slots 09:00-17:00 clinic time on a weekday, earliest first, and none at the weekend', async () => {
    const monday = futureMonday();
    const res = await get(`from=${monday}&to=${nextDay(monday, 7)}&limit=100`);
    expect(res.status).toBe(200);
    const slots = res.slots!;
    expect(slots).toHaveLength(80); // five weekdays
    const byDay = new Map<string, string[]>();
    for (const s of slots) {
      expect(Date.parse(s.ends_at) - Date.parse(s.scheduled_at)).toBe(30 * MIN);
      expect(s.scheduled_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
      const day = localDay(s.scheduled_at, NY);
      byDay.set(day, [...(byDay.get(day) ?? []), localTime(s.scheduled_at, NY)]);
    }
    expect([...byDay.keys()]).toEqual([0, 1, 2, 3, 4].map((n) => nextDay(monday, n)));
    for (const times of byDay.values()) expect(times).toEqual(NINE_TO_FIVE);
    const starts = slots.map((s) => Date.parse(s.scheduled_at));
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect((await slotsOfDay(api, nextDay(monday, 5))).length + (await slotsOfDay(api, nextDay(monday, 6))).length).toBe(0);
  });

  describe.each(['spring', 'fall'] as const)('across the %s DST change in New York', (season) => {
    it('keeps 09:00-17:00 clinic time on both sides, so the UTC times move by an hour', async () => {
      const change = nextDstChanges(NY)[season]; // a Sunday
      const friday = nextDay(change, -2);
      const monday = nextDay(change, 1);
      const res = await get(`from=${friday}&to=${nextDay(monday)}&limit=100`);
      expect(res.status).toBe(200);
      const slots = res.slots!;
      expect(slots).toHaveLength(32);
      expect(slots.map((s) => localTime(s.scheduled_at, NY))).toEqual([...NINE_TO_FIVE, ...NINE_TO_FIVE]);
      expect(slots.map((s) => localDay(s.scheduled_at, NY))).toEqual([...Array(16).fill(friday), ...Array(16).fill(monday)]);
      // 09:00 EST is 14:00Z, 09:00 EDT is 13:00Z.
      const [before, after] = season === 'spring' ? ['14', '13'] : ['13', '14'];
      expect(slots[0]!.scheduled_at).toBe(`${friday}T${before}:00:00.000Z`);
      expect(slots[16]!.scheduled_at).toBe(`${monday}T${after}:00:00.000Z`);
      expect(slots.every((s) => Date.parse(s.ends_at) - Date.parse(s.scheduled_at) === 30 * MIN)).toBe(true);
    });

    it('on the change day itself, a 24-hour clinic gets whole, non-overlapping slots on its wall-clock grid', async () => {
      await setOpeningHours(srv, ny.clinic.id, ALL_WEEK_ALL_DAY);
      try {
        const change = nextDstChanges(NY)[season];
        const slots = (await get(`from=${change}&to=${nextDay(change)}&limit=100`)).slots!;
        // Spring: 02:00 and 02:30 do not exist (46 slots). Fall: the repeated hour is offered once (48).
        expect(slots).toHaveLength(season === 'spring' ? 46 : 48);
        const times = slots.map((s) => localTime(s.scheduled_at, NY));
        expect(times.filter((t) => t.startsWith('02:'))).toHaveLength(season === 'spring' ? 0 : 2);
        expect(new Set(times).size).toBe(slots.length);
        for (let i = 0; i < slots.length; i++) {
          expect(Date.parse(slots[i]!.ends_at) - Date.parse(slots[i]!.scheduled_at)).toBe(30 * MIN);
          if (i > 0) expect(Date.parse(slots[i]!.scheduled_at)).toBeGreaterThanOrEqual(Date.parse(slots[i - 1]!.ends_at));
          expect(localDay(slots[i]!.scheduled_at, NY)).toBe(change);
        }
      } finally {
        await setOpeningHours(
          srv,
          ny.clinic.id,
          [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens_at: '09:00:00', closes_at: '17:00:00' })),
        );
      }
    });
  });

  it('reads opening hours in a half-hour-offset zone (Kolkata), where clinic midnight is 18:30Z', async () => {
    const day = futureMonday();
    const slots = (await get(`from=${day}&to=${nextDay(day)}&limit=100`, allDayApi)).slots!;
    expect(slots).toHaveLength(48);
    expect(slots[0]!.scheduled_at).toBe(`${nextDay(day, -1)}T18:30:00.000Z`);
    expect(slots[47]!.ends_at).toBe(`${day}T18:30:00.000Z`);
  });

  it.each([
    ['morning', '06:00', '11:30', 12],
    ['afternoon', '12:00', '16:30', 10],
    ['evening', '17:00', '21:30', 10],
    ['any', '00:00', '23:30', 48],
  ])('preference=%s keeps slots starting %s-%s clinic time', async (preference, first, last, count) => {
    const day = futureMonday(2);
    const slots = (await get(`from=${day}&to=${nextDay(day)}&limit=100&preference=${preference}`, allDayApi)).slots!;
    expect(slots).toHaveLength(count);
    expect(localTime(slots[0]!.scheduled_at, KOLKATA)).toBe(first);
    expect(localTime(slots[slots.length - 1]!.scheduled_at, KOLKATA)).toBe(last);
    expect(slots.every((s) => localDay(s.scheduled_at, KOLKATA) === day)).toBe(true);
  });

  it('an evening preference at a 09:00-17:00 clinic finds nothing; afternoon finds 12:00-16:30', async () => {
    const day = futureMonday(2);
    expect((await get(`from=${day}&to=${nextDay(day)}&preference=evening&limit=100`)).slots).toEqual([]);
    const afternoon = (await get(`from=${day}&to=${nextDay(day)}&preference=afternoon&limit=100`)).slots!;
    expect(afternoon.map((s) => localTime(s.scheduled_at, NY))).toEqual(NINE_TO_FIVE.slice(6));
  });

  it('returns 10 slots by default and honours limit up to 100, earliest first', async () => {
    const monday = futureMonday(3);
    const all = (await get(`from=${monday}&to=${nextDay(monday, 14)}&limit=100`)).slots!;
    expect(all).toHaveLength(100);
    expect((await get(`from=${monday}`)).slots).toEqual(all.slice(0, 10));
    expect((await get(`from=${monday}&limit=3`)).slots).toEqual(all.slice(0, 3));
    expect((await get(`from=${monday}&limit=1`)).slots).toEqual(all.slice(0, 1));
  });

  it('defaults to to = from + 14 days (exclusive)', async () => {
    // Only Mondays 09:00-10:00 open: two slots a week.
    const clinic = await srv.clinic('Mondays Only', NY);
    await setOpeningHours(srv, clinic.clinic.id, [{ weekday: 1, opens_at: '09:00:00', closes_at: '10:00:00' }]);
    const client = await freshClient(srv, clinic.clinic.id);
    const monday = futureMonday(2);
    const slots = (await get(`from=${monday}&limit=100`, client)).slots!;
    expect(slots.map((s) => localDay(s.scheduled_at, NY))).toEqual([monday, monday, nextDay(monday, 7), nextDay(monday, 7)]);
    expect((await get(`from=${monday}&to=${nextDay(monday, 15)}&limit=100`, client)).slots).toHaveLength(6);
  });

  it('takes instants for from and to: slots start at or after from and end by to', async () => {
    const day = futureMonday(2);
    const daySlots = await slotsOfDay(api, day);
    const from = new Date(Date.parse(daySlots[2]!.scheduled_at) + 10 * MIN).toISOString(); // 10:10 local
    const to = daySlots[6]!.ends_at.replace('.000Z', 'Z'); // 12:00 local
    const slots = (await get(`from=${from}&to=${to}&limit=100`)).slots!;
    expect(slots).toEqual(daySlots.slice(3, 7));
    // An offset instead of Z means the same instant.
    const withOffset = new Date(Date.parse(daySlots[3]!.scheduled_at)).toISOString().replace('.000Z', '+00:00');
    expect((await get(`from=${encodeURIComponent(withOffset)}&limit=1`)).slots).toEqual([daySlots[3]]);
  });

  it('never offers a slot that has started: a search from today starts at the next slot', async () => {
    const before = Date.now();
    const today = localDay(before, KOLKATA);
    const slots = (await get(`from=${today}&to=${nextDay(today, 2)}&limit=100`, allDayApi)).slots!;
    const after = Date.now();
    expect(slots.length).toBeGreaterThan(0);
    const first = Date.parse(slots[0]!.scheduled_at);
    expect(first).toBeGreaterThanOrEqual(before - 1000);
    expect(first).toBeLessThanOrEqual(after + 30 * MIN); // the very next half hour, nothing skipped
    // The default search (from = now) also starts at the next slot.
    const byDefault = (await get('limit=1', allDayApi)).slots!;
    expect(Date.parse(byDefault[0]!.scheduled_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(byDefault[0]!.scheduled_at)).toBeLessThanOrEqual(Date.now() + 30 * MIN);
  });

  it("runs the seed's curl example verbatim (a past from searches from now)", async () => {
    const res = await api.get('/api/v1/availability?from=2026-04-26&preference=morning&limit=5');
    expect(res.status).toBe(200);
    const slots = SlotList.parse(res.body).data;
    expect(slots).toHaveLength(5);
    for (const s of slots) {
      expect(Date.parse(s.scheduled_at)).toBeGreaterThan(Date.now());
      expect(localTime(s.scheduled_at, NY) < '12:00').toBe(true);
    }
  });

  it('removes booked appointments and calendar blocks, including partial overlaps, and gives back cancelled time', async () => {
    const day = futureMonday(4);
    const before = await slotsOfDay(api, day);
    expect(before).toHaveLength(16);
    const booked = await api.post('/api/v1/appointments', { lead_id: leadId, ...before[0]! });
    expect(booked.status).toBe(201);
    const quarter = await api.post('/api/v1/appointments', {
      lead_id: leadId,
      scheduled_at: new Date(Date.parse(before[2]!.scheduled_at) + 15 * MIN).toISOString(),
      ends_at: new Date(Date.parse(before[2]!.scheduled_at) + 45 * MIN).toISOString(),
    });
    expect(quarter.status).toBe(201); // 10:15-10:45 overlaps the 10:00 and the 10:30 slots
    const block = await api.post('/api/v1/availability/blocks', {
      external_source: 'google_calendar',
      external_id: `avail-${day}`,
      starts_at: before[8]!.scheduled_at,
      ends_at: new Date(Date.parse(before[9]!.scheduled_at) + 1 * MIN).toISOString(), // 13:00-13:31
    });
    expect(block.status).toBe(201);
    const during = (await slotsOfDay(api, day)).map((s) => localTime(s.scheduled_at, NY));
    expect(during).toEqual(NINE_TO_FIVE.filter((t) => !['09:00', '10:00', '10:30', '13:00', '13:30'].includes(t)));

    expect((await api.delete(`/api/v1/appointments/${booked.body.id}`)).status).toBe(200);
    expect((await api.delete(`/api/v1/appointments/${quarter.body.id}`)).status).toBe(200);
    expect((await api.delete(`/api/v1/availability/blocks?external_source=google_calendar&external_id=avail-${day}`)).status).toBe(204);
    expect(await slotsOfDay(api, day)).toEqual(before);
  });

  it('only counts its own clinic: another clinic booking the same instant changes nothing here', async () => {
    const day = futureMonday(5);
    const before = await slotsOfDay(api, day);
    const other = await srv.clinic('Availability Neighbour', NY);
    const theirLead = (await other.api.post('/api/v1/leads', { email: 'neighbour@example.com' })).body.id;
    expect((await other.api.post('/api/v1/appointments', { lead_id: theirLead, ...before[0]! })).status).toBe(201);
    expect(
      (
        await other.api.post('/api/v1/availability/blocks', {
          external_source: 's',
          external_id: 'x',
          ...{ starts_at: before[1]!.scheduled_at, ends_at: before[1]!.ends_at },
        })
      ).status,
    ).toBe(201);
    expect(await slotsOfDay(api, day)).toEqual(before);
  });

  it('answers far-future searches without a 5xx and never writes past the year 9999', async () => {
    const lastDay = await get('from=9999-12-31&limit=100'); // a Friday
    expect(lastDay.status).toBe(200);
    expect(lastDay.slots).toHaveLength(16);
    expect(lastDay.slots![15]!.ends_at).toBe('9999-12-31T22:00:00.000Z');
    const evening = await get('from=9999-12-20&preference=evening');
    expect(evening).toEqual({ status: 200, slots: [] });
  });

  it('accepts a range of exactly 92 days and refuses 93', async () => {
    const monday = futureMonday();
    expect((await get(`from=${monday}&to=${nextDay(monday, 92)}`)).status).toBe(200);
    const res = await get(`from=${monday}&to=${nextDay(monday, 93)}`);
    expect(res.status).toBe(400);
    expect(res.error).toMatchObject({ code: 'invalid_input', details: [{ path: 'to' }] });
  });

  it.each([
    ['an unknown preference', 'preference=night', 'preference'],
    ['an empty preference', 'preference=', 'preference'],
    ['an impossible date', 'from=2026-13-40', 'from'],
    ['the 30th of February', 'from=2031-02-30', 'from'],
    ['a word for a date', 'from=tomorrow', 'from'],
    ['an empty to', 'to=', 'to'],
    ['a date-time without a zone', 'from=2031-01-06T09:00:00', 'from'],
    ['limit 0', 'limit=0', 'limit'],
    ['limit over 100', 'limit=101', 'limit'],
    ['a fractional limit', 'limit=2.5', 'limit'],
    ['a non-numeric limit', 'limit=ten', 'limit'],
    ['to before from', `from=${futureMonday()}&to=2026-01-01`, 'to'],
    ['to equal to from', `from=${futureMonday()}&to=${futureMonday()}`, 'to'],
  ])('refuses %s with 400 invalid_input naming the parameter', async (_name, query, path) => {
    const res = await get(query);
    expect(res.status).toBe(400);
    expect(res.error!.code).toBe('invalid_input');
    expect(res.error!.details?.map((d) => d.path)).toContain(path);
  });

  it('needs a valid API key (401) with availability:read (403)', async () => {
    const none = await rawRequest(srv.url, 'GET', '/api/v1/availability');
    expect(none.status).toBe(401);
    expect(ErrorBody.parse(none.body).code).toBe('unauthorized');
    const wrong = await srv.client('qbk_live_not-a-real-key').get('/api/v1/availability');
    expect(wrong.status).toBe(401);
    const writer = await freshClient(srv, ny.clinic.id, ['availability:write', 'appointments:read', 'appointments:write']);
    const res = await writer.get('/api/v1/availability');
    expect(res.status).toBe(403);
    expect(ErrorBody.parse(res.body).code).toBe('insufficient_scope');
    const reader = await freshClient(srv, ny.clinic.id, ['availability:read']);
    expect((await reader.get('/api/v1/availability')).status).toBe(200);
  });
});

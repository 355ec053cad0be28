/**
 * The hot paths of issue 12, on both backends: database round trips per authenticated request,
 * the in-memory clinic calendar seeing every change (even plain SQL), totals past the last page,
 * and the rate-limit table kept out of the WAL.
 */
import { sql } from 'kysely';
import pino from 'pino';
import { startServer, type RunningServer } from '../server';
import { createApiKey } from '../services/api-keys';
import type { DatabaseHandle } from '../db/connect';
import { ALL_WEEK_ALL_DAY, futureMonday, nextDay, setOpeningHours, slotsOfDay } from './support/booking';
import { backends, openTestDatabase } from './support/databases';
import { countedDatabase, queryCounter } from './support/db-counts';
import { apiClient, rawRequest, type ApiClient, type TestServer } from './support/server';

describe.each(backends())('hot paths on %s', (backend) => {
  let database: DatabaseHandle;
  let running: RunningServer;
  let srv: TestServer;
  const counter = queryCounter();
  let clinicId: string;
  let api: ApiClient;

  /** Round trips to the database made while `fn` runs. */
  async function roundTrips(fn: () => Promise<unknown>): Promise<number> {
    const before = counter.count;
    await fn();
    return counter.count - before;
  }

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    // No webhook worker: its sweep would add queries of its own to the count.
    running = await startServer({
      database: countedDatabase(database, counter),
      config: { port: 0, host: '127.0.0.1', devTools: true, runWorker: false },
      logger: pino({ level: 'silent' }),
      seedDemo: false,
    });
    srv = { url: running.url, running, client: (key) => apiClient(running.url, key) } as TestServer;
    const res = await rawRequest(running.url, 'POST', '/dev/clinics', { name: 'Hot paths', timezone: 'America/New_York' });
    clinicId = res.body.clinic.id;
    api = apiClient(running.url, res.body.api_key);
  });

  afterAll(async () => {
    await running.close();
    await database.close();
  });

  const freshKey = async () => apiClient(running.url, (await createApiKey(database.db, clinicId, 'hot paths')).key);

  test('an authenticated list is two round trips: key and rate limit in one, the page with its total in the other', async () => {
    const client = await freshKey(); // its first use also refreshes last_used_at, in the same statement
    expect(await roundTrips(() => client.get('/api/v1/appointments?per_page=25'))).toBe(2);
    expect(await roundTrips(() => client.get('/api/v1/appointments?per_page=25'))).toBe(2);
  });

  test('availability on a known calendar is two round trips when the first day has the slots', async () => {
    await setOpeningHours(srv, clinicId, ALL_WEEK_ALL_DAY);
    const client = await freshKey();
    const first = await client.get('/api/v1/availability?limit=5');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(5);
    expect(await roundTrips(() => client.get('/api/v1/availability?limit=5'))).toBe(2);
  });

  test('a search past more than a page of busy time finds exactly the first free slots', async () => {
    await setOpeningHours(srv, clinicId, ALL_WEEK_ALL_DAY, 30);
    const client = await freshKey();
    const open = (await client.get('/api/v1/availability?limit=80')).body.data as { scheduled_at: string; ends_at: string }[];
    expect(open).toHaveLength(80);
    // 70 consecutive slots taken: 66 booked (more than the 64 appointments of one page), 4 blocked.
    const lead = await database.db
      .insertInto('leads')
      .values({ clinic_id: clinicId, email: 'busy@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('appointments')
      .values(open.slice(0, 66).map((s) => ({ clinic_id: clinicId, lead_id: lead.id, scheduled_at: s.scheduled_at, ends_at: s.ends_at })))
      .execute();
    await database.db
      .insertInto('calendar_blocks')
      .values(
        open.slice(66, 70).map((s, i) => ({
          clinic_id: clinicId,
          external_source: 'test',
          external_id: `page-${i}`,
          starts_at: s.scheduled_at,
          ends_at: s.ends_at,
        })),
      )
      .execute();
    let res!: { body: any };
    // Key and rate limit, then two pages of busy time.
    expect(await roundTrips(async () => (res = await client.get('/api/v1/availability?limit=5')))).toBe(3);
    expect(res.body.data).toEqual(open.slice(70, 75));
    await database.db.deleteFrom('appointments').where('lead_id', '=', lead.id).execute();
    await database.db.deleteFrom('calendar_blocks').where('clinic_id', '=', clinicId).execute();
  });

  test('an appointment under way at `from` keeps its remaining time busy', async () => {
    const day = futureMonday(3);
    const lead = await database.db
      .insertInto('leads')
      .values({ clinic_id: clinicId, email: 'long@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('appointments')
      .values({ clinic_id: clinicId, lead_id: lead.id, scheduled_at: `${day}T15:00:00Z`, ends_at: `${day}T18:00:00Z` })
      .execute();
    const res = await api.get(`/api/v1/availability?from=${day}T16:00:00Z&to=${nextDay(day)}&limit=1`);
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.data[0].scheduled_at)).toBe(Date.parse(`${day}T18:00:00Z`));
    await database.db.deleteFrom('appointments').where('lead_id', '=', lead.id).execute();
  });

  test('a calendar change made with plain SQL is seen by the very next request', async () => {
    const day = futureMonday(2);
    await setOpeningHours(srv, clinicId, [{ weekday: 1, opens_at: '09:00:00', closes_at: '12:00:00' }], 30);
    expect((await slotsOfDay(api, day)).map((s) => s.scheduled_at)).toHaveLength(6);
    // Opening hours only (the triggers of migration 005 bump the clinic's calendar_version).
    await setOpeningHours(srv, clinicId, [{ weekday: 1, opens_at: '09:00:00', closes_at: '10:00:00' }]);
    expect(await slotsOfDay(api, day)).toHaveLength(2);
    // Slot length only.
    await database.db.updateTable('clinics').set({ slot_minutes: 15 }).where('id', '=', clinicId).execute();
    expect(await slotsOfDay(api, day)).toHaveLength(4);
    // Time zone only: 09:00 in Tokyo is the day before in New York.
    await database.db.updateTable('clinics').set({ timezone: 'Asia/Tokyo' }).where('id', '=', clinicId).execute();
    const slots = await slotsOfDay(api, day);
    expect(Date.parse(slots[0]!.scheduled_at)).toBe(Date.parse(`${day}T00:00:00Z`));
    // A booking checks against the changed hours too: 15:00 UTC is 10:00 or 11:00 in New York.
    await database.db.updateTable('clinics').set({ timezone: 'America/New_York' }).where('id', '=', clinicId).execute();
    await setOpeningHours(srv, clinicId, [{ weekday: 1, opens_at: '09:00:00', closes_at: '12:00:00' }]);
    const lead = await api.post('/api/v1/leads', { email: 'hours@example.com' });
    const booked = await api.post('/api/v1/appointments', { lead_id: lead.body.id, scheduled_at: `${nextDay(day, 7)}T15:00:00Z` });
    expect(booked.status).toBe(201);
    await setOpeningHours(srv, clinicId, [{ weekday: 1, opens_at: '09:00:00', closes_at: '10:00:00' }]);
    const refused = await api.post('/api/v1/appointments', { lead_id: lead.body.id, scheduled_at: `${nextDay(day, 14)}T15:00:00Z` });
    expect(refused.status).toBe(409);
  });

  test('a booking is two round trips, whether it books, finds the slot taken or fails a rule: the key, then one statement', async () => {
    await setOpeningHours(srv, clinicId, ALL_WEEK_ALL_DAY);
    const client = await freshKey();
    await client.get('/api/v1/availability?limit=1'); // the calendar is in memory from here on
    const lead = (await client.post('/api/v1/leads', { email: 'two-trips@example.com' })).body.id as string;
    const at = `${futureMonday(40)}T15:00:00.000Z`;
    const statuses: number[] = [];
    const book = (body: Record<string, unknown>) =>
      roundTrips(async () => statuses.push((await client.post('/api/v1/appointments', { lead_id: lead, ...body })).status));
    expect(await book({ scheduled_at: at })).toBe(2); // books, makes the lead booked, records both events
    expect(await book({ scheduled_at: at })).toBe(2); // taken
    expect(await book({ scheduled_at: '2020-01-06T15:00:00.000Z' })).toBe(2); // in the past
    expect(statuses).toEqual([201, 409, 400]);
  });

  test('a page past the end still reports the total', async () => {
    const client = await freshKey();
    const first = await client.get('/api/v1/appointments?per_page=1&page=1');
    const total = first.body.meta.total as number;
    expect(total).toBeGreaterThan(0);
    const past = await client.get(`/api/v1/appointments?per_page=1&page=${total + 5}`);
    expect(past.status).toBe(200);
    expect(past.body.data).toEqual([]);
    expect(past.body.meta.total).toBe(total);
  });

  test('the rate-limit table is unlogged', async () => {
    const { rows } = await sql<{ relpersistence: string }>`select relpersistence from pg_class where relname = 'rate_limits'`.execute(
      database.db,
    );
    expect(rows[0]!.relpersistence).toBe('u');
  });
});

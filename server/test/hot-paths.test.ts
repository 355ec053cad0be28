/**
 * The hot paths of issue 12, on both backends: database round trips per authenticated request,
 * the in-memory clinic calendar seeing every change (even plain SQL), totals past the last page,
 * and the rate-limit table kept out of the WAL.
 */
import { sql } from 'kysely';
import pino from 'pino';
import { startServer, type RunningServer } from '../server';
import { createKeyCounter } from '../http/rate-limit';
import { answerAvailability } from '../services/booking';
import { createApiKey, hashApiKey } from '../services/api-keys';
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

  test('an authenticated list is two round trips (key and rate limit in one, the page with its total), then one while nothing changes', async () => {
    const client = await freshKey(); // its first use also refreshes last_used_at, in the same statement
    expect(await roundTrips(() => client.get('/api/v1/appointments?per_page=25&page=1'))).toBe(2);
    // Kept on its second request (a page asked for once is never kept: http/page-cache.ts), then from memory.
    expect(await roundTrips(() => client.get('/api/v1/appointments?per_page=25&page=1'))).toBe(2);
    expect(await roundTrips(() => client.get('/api/v1/appointments?per_page=25&page=1'))).toBe(1);
    expect(await roundTrips(() => client.get('/api/v1/appointments?per_page=24&page=1'))).toBe(2);
  });

  test('a list answered from memory sees every change at once, even one made with plain SQL', async () => {
    const client = await freshKey();
    const lead = await database.db
      .insertInto('leads')
      .values({ clinic_id: clinicId, email: 'cache@example.com', full_name: 'Before' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const list = async () => (await client.get('/api/v1/appointments?per_page=100')).body;
    const start = Date.parse(`${futureMonday(20)}T15:00:00Z`);
    const before = await list();
    expect(await list()).toEqual(before); // kept now
    expect(await list()).toEqual(before); // from memory
    await database.db
      .insertInto('appointments')
      .values({ clinic_id: clinicId, lead_id: lead.id, scheduled_at: new Date(start), ends_at: new Date(start + 1_800_000) })
      .execute();
    const inserted = await list();
    expect(inserted.meta.total).toBe(before.meta.total + 1);
    expect(inserted.data[0].lead_full_name).toBe('Before');
    // A change to a lead changes the appointments that show it.
    await database.db.updateTable('leads').set({ full_name: 'After' }).where('id', '=', lead.id).execute();
    expect((await list()).data[0].lead_full_name).toBe('After');
    // A change inside a transaction that rolls back changes nothing, and is not seen.
    await database.db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('leads').set({ full_name: 'Rolled back' }).where('id', '=', lead.id).execute();
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect((await list()).data[0].lead_full_name).toBe('After');
    await database.db.deleteFrom('appointments').where('lead_id', '=', lead.id).execute();
    expect((await list()).meta.total).toBe(before.meta.total);
  });

  test('requests that arrive together are each counted exactly, and a revoked key among them is refused', async () => {
    const key = (await createApiKey(database.db, clinicId, 'together')).key;
    const revoked = await createApiKey(database.db, clinicId, 'revoked');
    await database.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', revoked.row.id).execute();
    const client = apiClient(running.url, key);
    const gone = apiClient(running.url, revoked.key);
    // Fixed one-minute windows: start the burst early in a minute so it cannot straddle two.
    const second = new Date().getSeconds();
    if (second > 45) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    const answers = await Promise.all([
      ...Array.from({ length: 130 }, () => client.get('/api/v1/me')),
      ...Array.from({ length: 5 }, () => gone.get('/api/v1/me')),
    ]);
    const mine = answers.slice(0, 130);
    expect(mine.filter((r) => r.status === 200)).toHaveLength(120);
    expect(mine.filter((r) => r.status === 429)).toHaveLength(10);
    expect(answers.slice(130).map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    // Every remaining count from 119 down to 1 is handed out once; the 120th and the ten refused say 0.
    const remaining = mine.map((r) => Number(/r=(\d+)/.exec(r.headers.get('ratelimit') ?? '')?.[1]));
    expect(remaining.filter((r) => r > 0).sort((a, b) => a - b)).toEqual(Array.from({ length: 119 }, (_, i) => i + 1));
    expect(remaining.filter((r) => r === 0)).toHaveLength(11);
  });

  test('key statements asked for together go out as one statement, each answer its own', async () => {
    const a = await createApiKey(database.db, clinicId, 'batch a');
    const b = await createApiKey(database.db, clinicId, 'batch b');
    const revoked = await createApiKey(database.db, clinicId, 'batch revoked');
    await database.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', revoked.row.id).execute();
    const count = createKeyCounter(countedDatabase(database, counter), { perKey: 3, perClinic: 600 });
    const before = counter.prepared;
    const hashes = [a.key, b.key, a.key, revoked.key, a.key, 'qbk_live_unknown', a.key, b.key].map(hashApiKey);
    const answers = await Promise.all(hashes.map((h) => count(h)));
    expect(counter.prepared - before).toBe(1);
    expect(answers.map((k) => k && [k.id, k.rate.allowed, k.rate.remaining])).toEqual([
      [a.row.id, true, 2],
      [b.row.id, true, 2],
      [a.row.id, true, 1],
      undefined,
      [a.row.id, true, 0],
      undefined,
      [a.row.id, false, 0],
      [b.row.id, true, 1],
    ]);
    // The next batch goes on from where this one ended.
    const [next] = await Promise.all([count(hashApiKey(b.key))]);
    expect([next?.rate.allowed, next?.rate.remaining]).toEqual([true, 0]);
    expect((await count(hashApiKey(b.key)))?.rate.allowed).toBe(false);
  });

  test('a key statement that fails fails every request of its batch with its error, without sending it again', async () => {
    const a = await createApiKey(database.db, clinicId, 'failing a');
    let statements = 0;
    const down = Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' });
    const failing = {
      executePrepared: async () => {
        statements++;
        throw down;
      },
    };
    const count = createKeyCounter(failing, { perKey: 3, perClinic: 600 });
    const answers = await Promise.allSettled([a.key, a.key, 'qbk_live_unknown'].map((k) => count(hashApiKey(k))));
    expect(answers).toEqual([0, 1, 2].map(() => ({ status: 'rejected', reason: down })));
    expect(statements).toBe(1);
  });

  test('an availability answer kept in memory is the answer until its first grid slot starts, and any change is seen at once', async () => {
    await setOpeningHours(srv, clinicId, ALL_WEEK_ALL_DAY, 30);
    const client = await freshKey();
    const search = async () => (await client.get('/api/v1/availability?limit=3')).body.data as { scheduled_at: string }[];
    const first = await search();
    expect(await search()).toEqual(first); // kept now
    expect(await roundTrips(search)).toBe(1); // key statement only: from memory
    expect(await search()).toEqual(first);
    // A block over the first open slot, written with plain SQL, is seen by the very next search.
    await database.db
      .insertInto('calendar_blocks')
      .values({
        clinic_id: clinicId,
        external_source: 'test',
        external_id: 'cache',
        starts_at: first[0]!.scheduled_at,
        ends_at: new Date(Date.parse(first[0]!.scheduled_at) + 1_800_000),
      })
      .execute();
    expect((await search())[0]).toEqual(first[1]);
    await database.db.deleteFrom('calendar_blocks').where('external_id', '=', 'cache').execute();
    expect(await search()).toEqual(first);
    // The clock: at any instant before `sameUntil` the search answers the same; `sameUntil` is a slot start.
    const query = { limit: 3, preference: 'any' } as const;
    for (const offset of [0, 7 * 60_000, 29 * 60_000 + 59_000, 3 * 3_600_000 + 1]) {
      const now = Date.parse(`${futureMonday(1)}T10:00:00Z`) + offset;
      const answer = await answerAvailability(database.db, clinicId, query as never, now);
      expect(answer.sameUntil).not.toBeNull();
      expect((answer.sameUntil! - Date.parse(`${futureMonday(1)}T00:00:00Z`)) % 1_800_000).toBe(0);
      expect(answer.sameUntil!).toBeGreaterThanOrEqual(now);
      for (const later of [Math.floor((now + answer.sameUntil!) / 2), answer.sameUntil!]) {
        expect((await answerAvailability(database.db, clinicId, query as never, later)).slots).toEqual(answer.slots);
      }
      // Once that slot has started, a search that offered it moves on.
      if (Date.parse(answer.slots[0]!.scheduled_at) === answer.sameUntil) {
        expect((await answerAvailability(database.db, clinicId, query as never, answer.sameUntil! + 1)).slots).not.toEqual(answer.slots);
      }
    }
  });

  test('availability on a known calendar is two round trips when the first day has the slots', async () => {
    await setOpeningHours(srv, clinicId, ALL_WEEK_ALL_DAY);
    const client = await freshKey();
    const first = await client.get('/api/v1/availability?limit=5');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(5);
    // A search not answered before (another limit): key statement, one page of busy time.
    expect(await roundTrips(() => client.get('/api/v1/availability?limit=4'))).toBe(2);
  });

  test('a search past more than a page of busy time finds exactly the first free slots', async () => {
    await setOpeningHours(srv, clinicId, ALL_WEEK_ALL_DAY, 30);
    const client = await freshKey();
    const first = (await client.get('/api/v1/availability?limit=100')).body.data as { scheduled_at: string; ends_at: string }[];
    const next = (await client.get(`/api/v1/availability?limit=50&from=${encodeURIComponent(first[99]!.ends_at)}`)).body.data;
    const open = [...first, ...next] as { scheduled_at: string; ends_at: string }[];
    expect(open).toHaveLength(150);
    // 140 consecutive slots taken: 136 booked (more than the 128 appointments of the first page), 4 blocked.
    const lead = await database.db
      .insertInto('leads')
      .values({ clinic_id: clinicId, email: 'busy@example.com' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('appointments')
      .values(open.slice(0, 136).map((s) => ({ clinic_id: clinicId, lead_id: lead.id, scheduled_at: s.scheduled_at, ends_at: s.ends_at })))
      .execute();
    await database.db
      .insertInto('calendar_blocks')
      .values(
        open.slice(136, 140).map((s, i) => ({
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
    expect(res.body.data).toEqual(open.slice(140, 145));
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

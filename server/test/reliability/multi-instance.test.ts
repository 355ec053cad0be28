/**
 * Two server processes on one PostgreSQL database (same DATABASE_URL, different ports): the
 * 120/min rate limit holds across them, a slot raced from both is booked once, and every event
 * is delivered at least once although both processes run delivery workers. PostgreSQL only (an
 * embedded database belongs to one process), so this suite needs the PostgreSQL server that jest's
 * global setup starts: do not run the reliability suite with QB_TEST_BACKENDS=pglite.
 */
import { createPostgresDatabase } from '../support/databases';
import { apiClient, type ApiClient } from '../support/server';
import {
  allDeliveries,
  devClinic,
  openSlots,
  startFlakyReceiver,
  startServerProcess,
  stopServerProcess,
  waitUntil,
  type FlakyReceiver,
  type ServerProcess,
} from './processes';

describe('two server instances on one PostgreSQL', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let receiver: FlakyReceiver;

  beforeAll(async () => {
    const env = { DATABASE_URL: await createPostgresDatabase(), QB_WEBHOOK_SCHEDULE_SCALE: '0.001', QB_WEBHOOK_JOB_EXPIRE_SECONDS: '2' };
    a = await startServerProcess(env);
    b = await startServerProcess(env); // started second: the demo clinic exists already
    expect(a.url).not.toBe(b.url);
    expect(b.demoKey).toBeUndefined();
    receiver = await startFlakyReceiver();
  });
  afterAll(async () => {
    for (const s of [a, b]) if (s) await stopServerProcess(s, 'SIGTERM');
    await receiver?.close();
  });

  it('holds the 120/min limit per key across both instances', async () => {
    const { api } = await devClinic(a.url, 'Rate Clinic');
    // Fixed one-minute windows: start the burst early in a minute so it cannot straddle two.
    const second = new Date().getSeconds();
    if (second > 40) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    const onA = apiClient(a.url, api.key);
    const onB = apiClient(b.url, api.key);
    // Strictly alternating between the instances, one request at a time: if each kept its own
    // count, all 200 would pass (100 each); shared, exactly 60 + 60 pass and the rest are 429.
    const statuses: (readonly [number, number])[] = [];
    for (let i = 0; i < 200; i++) statuses.push([i % 2, (await (i % 2 ? onB : onA).get('/api/v1/me')).status] as const);
    const ok = statuses.filter(([, s]) => s === 200);
    const limited = statuses.filter(([, s]) => s === 429);
    expect(ok.length).toBe(120);
    expect(limited.length).toBe(80);
    expect(ok.filter(([i]) => i === 0).length).toBe(60);
    expect(ok.filter(([i]) => i === 1).length).toBe(60);
    expect(statuses.slice(120).every(([, s]) => s === 429)).toBe(true);
  });

  it('a list one instance answers from memory shows a change made on the other at once', async () => {
    const { api } = await devClinic(a.url, 'Cache Clinic');
    const onA = apiClient(a.url, api.key);
    const onB = apiClient(b.url, api.key);
    const lead = await onB.post('/api/v1/leads', { email: 'cache@example.com', full_name: 'First name' });
    const [slot] = await openSlots(api, 1);
    const booked = await onB.post('/api/v1/appointments', { lead_id: lead.body.id, scheduled_at: slot });
    expect(booked.status).toBe(201);
    const list = async () => (await onA.get('/api/v1/appointments?per_page=10')).body;
    expect((await list()).data[0].lead_full_name).toBe('First name');
    expect((await list()).data[0].lead_full_name).toBe('First name'); // now from A's memory
    const firstOpen = async () =>
      (await onA.get(`/api/v1/availability?limit=1&from=${encodeURIComponent(slot!)}`)).body.data[0].scheduled_at as string;
    expect(await firstOpen()).not.toBe(slot); // booked
    expect(await firstOpen()).not.toBe(slot); // from A's memory
    await onB.patch(`/api/v1/leads/${lead.body.id}`, { full_name: 'Second name' });
    expect((await list()).data[0].lead_full_name).toBe('Second name');
    const cancelled = await onB.delete(`/api/v1/appointments/${booked.body.id}`);
    expect(cancelled.status).toBe(200);
    expect((await list()).data[0].status).toBe('cancelled');
    // Availability too: the cancelled slot is open again on A.
    expect(await firstOpen()).toBe(slot);
  });

  it('books a slot raced from both instances exactly once', async () => {
    const { api } = await devClinic(a.url, 'Race Clinic');
    const lead = await api.post('/api/v1/leads', { email: 'race@example.com' });
    const [slot] = await openSlots(api, 1);
    // 100 attempts, half on each instance, 50 per key per instance-independent key.
    const keys: ApiClient[] = [];
    for (let k = 0; k < 2; k++) keys.push((await devClinic(a.url, `unused ${k}`)).api); // other clinics: must not see the lead
    const attempts = Array.from({ length: 100 }, (_, i) =>
      apiClient(i % 2 ? b.url : a.url, api.key).post('/api/v1/appointments', { lead_id: lead.body.id, scheduled_at: slot }),
    );
    // Other clinics racing for "the same" slot with this lead id get 404: tenants never collide.
    const foreign = keys.map((k) => k.post('/api/v1/appointments', { lead_id: lead.body.id, scheduled_at: slot }));
    const results = await Promise.all(attempts);
    const counts: Record<number, number> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    expect(counts).toEqual({ 201: 1, 409: 99 });
    for (const f of await Promise.all(foreign)) expect(f.status).toBe(404);
    const list = await api.get('/api/v1/appointments?per_page=100');
    expect(list.body.meta.total).toBe(1);
  });

  it('delivers every event at least once with both instances writing and delivering', async () => {
    const { api } = await devClinic(a.url, 'Webhook Clinic');
    const sub = await api.post('/api/v1/webhooks', { url: receiver.url, events: ['lead.created'] });
    expect(sub.status).toBe(201);
    receiver.failEvery(4); // retries too, picked up by whichever instance
    const created: string[] = [];
    await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const res = await apiClient(i % 2 ? b.url : a.url, api.key).post('/api/v1/leads', { email: `multi-${i}@example.com` });
        expect(res.status).toBe(201);
        created.push(res.body.id);
      }),
    );
    const arrived = () => new Set(receiver.delivered.filter((d) => d.type === 'lead.created').map((d) => d.objectId));
    await waitUntil('a delivery for each of 100 leads', () => created.every((id) => arrived().has(id)), 90_000);
    receiver.failEvery(0);
    let log: { event_id: string; status: string }[] = [];
    await waitUntil(
      'every delivery to succeed',
      async () => {
        log = await allDeliveries(api, sub.body.id);
        return log.every((d) => d.status === 'succeeded');
      },
      60_000,
    );
    expect(log.length).toBe(100);
    const received = receiver.eventIds();
    for (const d of log) expect(received.has(d.event_id)).toBe(true);
    const perDelivery = new Map<string, number>();
    for (const d of receiver.delivered) perDelivery.set(d.deliveryId, (perDelivery.get(d.deliveryId) ?? 0) + 1);
    console.log(
      `two instances: ${log.length} deliveries, ${receiver.delivered.length} successful receipts, ${[...perDelivery.values()].filter((n) => n > 1).length} delivered more than once`,
    );
  });
});

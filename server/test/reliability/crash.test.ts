/**
 * Crash safety under load: the real server process is SIGKILLed in the middle of a burst of
 * bookings, with webhook deliveries pending (the receiver refuses a share of them), then
 * restarted on the same data. Every acknowledged booking (a 201 received) must be there, and
 * every event the database holds must reach the receiver at least once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backends, createPostgresDatabase } from '../support/databases';
import { apiClient, type ApiClient } from '../support/server';
import {
  allAppointments,
  allDeliveries,
  openSlots,
  startFlakyReceiver,
  startServerProcess,
  stopServerProcess,
  waitUntil,
  type ServerProcess,
} from './processes';

describe.each(backends())('crash during a burst of bookings on %s', (backend) => {
  const children: ServerProcess[] = [];
  afterAll(async () => {
    for (const c of children) await stopServerProcess(c);
  });

  it('keeps every acknowledged booking and delivers every event after SIGKILL and restart', async () => {
    const storage: Record<string, string> =
      backend === 'pglite'
        ? { QB_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'qb-rel-crash-')) }
        : { DATABASE_URL: await createPostgresDatabase() };
    const env = { ...storage, QB_WEBHOOK_SCHEDULE_SCALE: '0.001', QB_WEBHOOK_JOB_EXPIRE_SECONDS: '2' };
    const receiver = await startFlakyReceiver();
    receiver.failEvery(3); // pending retries at the moment of the crash

    const first = await startServerProcess(env);
    children.push(first);
    expect(first.demoKey).toMatch(/^qbk_live_/);
    let api: ApiClient = apiClient(first.url, first.demoKey!);
    const sub = await api.post('/api/v1/webhooks', { url: receiver.url, events: ['appointment.created', 'lead.created', 'lead.updated'] });
    expect(sub.status).toBe(201);
    const leads: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await api.post('/api/v1/leads', { email: `crash-${i}@example.com` });
      expect(res.status).toBe(201);
      leads.push(res.body.id);
    }
    const slots = await openSlots(api, 90);
    expect(slots.length).toBe(90);

    // The burst: 8 clients booking distinct slots; the kill lands while requests are in flight.
    const acknowledged: string[] = [];
    let failedInFlight = 0;
    let next = 0;
    let killed: Promise<void> | undefined;
    const client = async () => {
      while (next < slots.length) {
        const i = next++;
        try {
          const res = await api.post('/api/v1/appointments', { lead_id: leads[i % leads.length], scheduled_at: slots[i] });
          if (res.status === 201) acknowledged.push(res.body.id);
          else expect(res.status).toBe(201); // distinct free slots: anything else is a bug
        } catch {
          failedInFlight++; // the connection died with the server: not acknowledged
        }
        if (acknowledged.length >= 40 && !killed) killed = stopServerProcess(first, 'SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    await killed;
    expect(killed).toBeDefined();
    expect(first.process.signalCode).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);

    receiver.failEvery(0);
    const second = await startServerProcess(env);
    children.push(second);
    expect(second.demoKey).toBeUndefined(); // the same data: no new demo clinic
    api = apiClient(second.url, first.demoKey!);

    // Every acknowledged write survived.
    const stored = await allAppointments(api);
    const storedIds = new Set(stored.map((a) => a.id));
    for (const id of acknowledged) expect(storedIds.has(id)).toBe(true);
    expect(new Set(stored.map((a) => a.scheduled_at)).size).toBe(stored.length); // no slot twice

    // Every stored appointment's event arrives at least once...
    const delivered = () => new Set(receiver.delivered.filter((d) => d.type === 'appointment.created').map((d) => d.objectId));
    await waitUntil('appointment.created for every stored appointment', () => stored.every((a) => delivered().has(a.id)), 90_000);
    // ...and so does every other event the outbox holds, per the delivery log.
    let log: { event_id: string; status: string }[] = [];
    await waitUntil(
      'every delivery in the log to succeed',
      async () => {
        log = await allDeliveries(api, sub.body.id);
        return log.every((d) => d.status === 'succeeded');
      },
      90_000,
    );
    expect(log.length).toBe(stored.length + leads.length * 2); // appointment.created + lead.created + lead.updated (booked)
    const received = receiver.eventIds();
    for (const d of log) expect(received.has(d.event_id)).toBe(true);
    console.log(
      `${backend}: ${acknowledged.length} bookings acknowledged before SIGKILL, ${failedInFlight} cut off, ${stored.length} stored; ` +
        `${log.length} events, ${receiver.delivered.length} deliveries received (at least once each)`,
    );
    await stopServerProcess(second, 'SIGTERM');
    await receiver.close();
  });
});

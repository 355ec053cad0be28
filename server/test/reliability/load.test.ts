/**
 * Steady load: a fixed request rate spread over 50 clinics for QB_LOAD_SECONDS (default 300, the
 * 5 minutes the issue asks for; CI may set less), against a real server process with webhook
 * delivery on. Reads, bookings (some deliberately on a taken slot), cancellations and new leads.
 * Passes when no request fails other than 409 (the deliberate conflicts) and 429, the rate is
 * held, and the server's resident memory does not grow by more than MEMORY_BOUND_MIB between the
 * first and the last quarter of the run (after a warm-up).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backends, createPostgresDatabase } from '../support/databases';
import type { ApiClient } from '../support/server';
import { devClinic, openSlots, rssMiB, startFlakyReceiver, startServerProcess, stopServerProcess, type ServerProcess } from './processes';

const SECONDS = Number(process.env.QB_LOAD_SECONDS ?? 300);
const RATE = Number(process.env.QB_LOAD_RATE ?? 15); // requests per second, all clinics together
const CLINICS = 50;
/** Allowed RSS growth, MiB: median of the first quarter after warm-up vs the peak of the last quarter. */
const MEMORY_BOUND_MIB = Number(process.env.QB_LOAD_MEMORY_BOUND_MIB ?? 64);

interface ClinicState {
  api: ApiClient;
  leads: string[];
  slots: string[];
  nextSlot: number;
  booked: { id: string; slot: string }[];
  step: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

describe.each(backends())('steady load on %s', (backend) => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    if (server) await stopServerProcess(server, 'SIGTERM');
  });

  it(`serves ${RATE} req/s over ${CLINICS} clinics for ${SECONDS} s with only 409/429 refusals and bounded memory`, async () => {
    const storage: Record<string, string> =
      backend === 'pglite'
        ? { QB_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'qb-rel-load-')) }
        : { DATABASE_URL: await createPostgresDatabase() };
    server = await startServerProcess(storage);
    const receiver = await startFlakyReceiver();
    const clinics: ClinicState[] = [];
    for (let c = 0; c < CLINICS; c++) {
      const { api } = await devClinic(server.url, `Load Clinic ${c}`);
      const sub = await api.post('/api/v1/webhooks', {
        url: receiver.url,
        events: ['appointment.created', 'appointment.cancelled', 'lead.created'],
      });
      expect(sub.status).toBe(201);
      const leads = [];
      for (let l = 0; l < 2; l++) leads.push((await api.post('/api/v1/leads', { email: `load-${c}-${l}@example.com` })).body.id);
      clinics.push({ api, leads, slots: await openSlots(api, 40), nextSlot: 0, booked: [], step: 0 });
    }

    const statuses: Record<number, number> = {};
    const unexpected: string[] = [];
    const latencies: number[] = [];
    const rss: { at: number; mib: number }[] = [];
    let conflictsExpected = 0;
    let conflictsSeen = 0;

    /** One request of the clinic's cycle: reads, a booking, a conflicting booking, a cancellation, a lead. */
    async function step(c: ClinicState): Promise<void> {
      const kind = c.step++ % 6;
      const started = performance.now();
      let res: { status: number; body: any };
      let allowed = [200];
      try {
        if (kind === 0) res = await c.api.get('/api/v1/availability?limit=5');
        else if (kind === 1) res = await c.api.get('/api/v1/appointments?per_page=25');
        else if (kind === 2) {
          const slot = c.slots[c.nextSlot++ % c.slots.length]!;
          allowed = [201];
          res = await c.api.post('/api/v1/appointments', { lead_id: c.leads[c.step % 2], scheduled_at: slot });
          if (res.status === 201) c.booked.push({ id: res.body.id, slot });
        } else if (kind === 3) {
          const taken = c.booked[c.booked.length - 1];
          if (taken) {
            allowed = [409];
            conflictsExpected++;
            res = await c.api.post('/api/v1/appointments', { lead_id: c.leads[0], scheduled_at: taken.slot });
            if (res.status === 409) conflictsSeen++;
          } else res = await c.api.get('/api/v1/me');
        } else if (kind === 4) {
          // Keep calendars bounded: cancel the oldest while more than a few are booked.
          const oldest = c.booked.length > 3 ? c.booked.shift() : undefined;
          res = oldest ? await c.api.delete(`/api/v1/appointments/${oldest.id}`) : await c.api.get('/api/v1/me');
        } else {
          allowed = [201];
          res = await c.api.post('/api/v1/leads', { email: `load-${Math.random().toString(36).slice(2)}@example.com` });
        }
      } catch (error) {
        unexpected.push(`network error: ${(error as Error).message}`);
        return;
      }
      latencies.push(performance.now() - started);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (!allowed.includes(res.status) && res.status !== 429)
        unexpected.push(`${kind}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }

    const t0 = Date.now();
    const running = server;
    // Sampled while the server runs; a server that dies mid-run is reported below with its output.
    const sampler = setInterval(() => {
      if (running.process.exitCode === null && running.process.signalCode === null)
        rss.push({ at: (Date.now() - t0) / 1000, mib: rssMiB(running.pid) });
    }, 2000);
    const inFlight = new Set<Promise<void>>();
    const total = Math.round(SECONDS * RATE);
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = step(clinics[i % CLINICS]!).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
    const elapsed = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    await receiver.close();

    latencies.sort((a, b) => a - b);
    const warm = rss.filter((s) => s.at >= Math.max(10, SECONDS * 0.2));
    const quarter = Math.max(1, Math.floor(warm.length / 4));
    const firstQuarter = warm
      .slice(0, quarter)
      .map((s) => s.mib)
      .sort((a, b) => a - b);
    const baseline = firstQuarter[Math.floor(firstQuarter.length / 2)]!;
    const lastPeak = Math.max(...warm.slice(-quarter).map((s) => s.mib));
    const summary = {
      backend,
      seconds: SECONDS,
      requests: latencies.length,
      achievedRate: Math.round((latencies.length / elapsed) * 10) / 10,
      statuses,
      conflicts: `${conflictsSeen}/${conflictsExpected}`,
      p50ms: Math.round(percentile(latencies, 50)),
      p99ms: Math.round(percentile(latencies, 99)),
      rssStartMiB: Math.round(rss[0]!.mib),
      rssBaselineMiB: Math.round(baseline),
      rssLastQuarterPeakMiB: Math.round(lastPeak),
      rssMaxMiB: Math.round(Math.max(...rss.map((s) => s.mib))),
      webhookDeliveriesReceived: receiver.delivered.length,
    };
    console.log(`steady load: ${JSON.stringify(summary)}`);

    const exited = running.process.exitCode ?? running.process.signalCode;
    expect({ exited, output: exited === null ? '' : running.output().slice(-4000) }).toEqual({ exited: null, output: '' });

    expect(unexpected.slice(0, 10)).toEqual([]);
    expect(latencies.length).toBe(total);
    expect(latencies.length / elapsed).toBeGreaterThanOrEqual(RATE * 0.9); // the rate was held
    expect(conflictsSeen).toBe(conflictsExpected);
    expect(warm.length).toBeGreaterThanOrEqual(4);
    expect(lastPeak - baseline).toBeLessThanOrEqual(MEMORY_BOUND_MIB);
  });
});

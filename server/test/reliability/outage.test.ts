/**
 * Outage and recovery (issue 19): a receiver goes down under a steady stream of events, first
 * refusing connections, then accepting them and never answering, and comes back. Against a real
 * server process: every delivery arrives exactly once (each answered 200 once), the server's
 * memory and its deliveries waiting in memory stay bounded through the outage, and the backlog
 * drains without a burst: the receiver never sees more requests at once than the destination's
 * share of slots (QB_WEBHOOK_PER_DESTINATION, 4 here).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { backends, createPostgresDatabase } from '../support/databases';
import type { ApiClient } from '../support/server';
import { allDeliveries, devClinic, rssMiB, startServerProcess, stopServerProcess, waitUntil, type ServerProcess } from './processes';

const SUBSCRIPTIONS = 10;
const RATE = 4; // leads per second
const DESTINATION_SHARE = 4;
const TOKEN = 'outage-metrics-token-0123456789';
const PHASES = { up: 3, refusing: 8, hanging: 8, recovered: 5 }; // seconds
const MEMORY_BOUND_MIB = 64;

type Mode = 'up' | 'refusing' | 'hanging';

/** A receiver on one port that can refuse connections, hang every request, or answer 200 after 25 ms. */
async function outageReceiver() {
  const answered = new Map<string, number>(); // webhook-id -> times answered 200
  const pairs = new Set<string>(); // `${path} ${lead id}` answered
  const sockets = new Set<Socket>();
  let mode: Mode = 'up';
  let open = 0;
  let maxOpen = 0;
  const server = http.createServer((req, res) => {
    // Concurrency counts the requests the receiver answers (it is up): the burst bound is about them.
    if (mode === 'up') {
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.on('close', () => open--);
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'hanging') return;
      setTimeout(() => {
        const id = String(req.headers['webhook-id']);
        answered.set(id, (answered.get(id) ?? 0) + 1);
        pairs.add(`${req.url} ${JSON.parse(Buffer.concat(chunks).toString('utf8')).data.lead.id}`);
        res.writeHead(200);
        res.end('ok');
      }, 25);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port = 0) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  await listen();
  const port = (server.address() as { port: number }).port;
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    answered,
    pairs,
    maxOpen: () => maxOpen,
    async set(next: Mode) {
      if (mode === 'refusing' && next !== 'refusing') await listen(port);
      if (next === 'refusing') {
        dropAll();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      if (mode === 'hanging' && next === 'up') dropAll(); // requests left hanging fail; they are retried
      mode = next;
    },
    close: () => {
      dropAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function metric(server: ServerProcess, name: string): Promise<number> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

/** What the server says of the deliveries the receiver never answered (a timed-out run's evidence). */
async function unanswered(server: ServerProcess, api: ApiClient, webhookIds: string[], answered: Map<string, number>): Promise<string> {
  const missing: { status: string; attempts?: unknown[] }[] = [];
  for (const webhookId of webhookIds) {
    for (const d of await allDeliveries(api, webhookId)) if (!answered.has(d.id)) missing.push(d);
  }
  const gauges = ['qualifybase_webhook_deliveries_waiting', 'qualifybase_webhook_attempts_in_flight', 'qualifybase_webhook_circuits_open'];
  const state = Object.fromEntries(await Promise.all(gauges.map(async (g) => [g, await metric(server, g)])));
  const byState: Record<string, number> = {};
  for (const d of missing) {
    const key = `${d.status} after ${d.attempts?.length ?? 0} attempts`;
    byState[key] = (byState[key] ?? 0) + 1;
  }
  return `${missing.length} unanswered (${JSON.stringify(byState)}), e.g. ${JSON.stringify(missing.slice(0, 5))}; server: ${JSON.stringify(state)}`;
}

describe.each(backends())('a receiver outage and its recovery on %s', (backend) => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    if (server) await stopServerProcess(server, 'SIGTERM');
  });

  it('delivers everything exactly once afterwards, with bounded memory and no burst beyond the destination share', async () => {
    const storage: Record<string, string> =
      backend === 'pglite'
        ? { QB_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'qb-rel-outage-')) }
        : { DATABASE_URL: await createPostgresDatabase() };
    server = await startServerProcess({
      ...storage,
      QB_WEBHOOK_SCHEDULE_SCALE: '0.001',
      QB_WEBHOOK_PER_DESTINATION: String(DESTINATION_SHARE),
      QB_METRICS_TOKEN: TOKEN,
    });
    const running = server;
    const receiver = await outageReceiver();
    try {
      const { api } = await devClinic(running.url, 'Outage Clinic');
      const webhookIds: string[] = [];
      for (let s = 0; s < SUBSCRIPTIONS; s++) {
        const res = await api.post('/api/v1/webhooks', { url: `${receiver.url}/hook/${s}`, events: ['lead.created'] });
        expect(res.status).toBe(201);
        webhookIds.push(res.body.id);
      }
      const leads: string[] = [];
      const samples: { rss: number; waiting: number }[] = [];
      const sample = async () =>
        samples.push({ rss: rssMiB(running.pid), waiting: await metric(running, 'qualifybase_webhook_deliveries_waiting') });
      const steady = async (seconds: number) => {
        const t0 = Date.now();
        for (let i = 0; i < seconds * RATE; i++) {
          const wait = t0 + (i * 1000) / RATE - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const res = await api.post('/api/v1/leads', { email: `outage-${leads.length}@example.com` });
          expect(res.status).toBe(201);
          leads.push(res.body.id);
          if (i % RATE === 0) await sample();
        }
      };

      await steady(PHASES.up);
      await receiver.set('refusing');
      await steady(PHASES.refusing);
      await receiver.set('hanging');
      await steady(PHASES.hanging);
      const outagePeak = Math.max(...samples.map((s) => s.rss));
      await receiver.set('up');
      await steady(PHASES.recovered);

      const expected = leads.length * SUBSCRIPTIONS;
      await waitUntil(`all ${expected} deliveries to be answered`, () => receiver.pairs.size === expected, 240_000).catch(
        async (error: Error) => {
          throw new Error(`${error.message}\n${await unanswered(running, api, webhookIds, receiver.answered)}`);
        },
      );
      await sample();
      const summary = {
        backend,
        leads: leads.length,
        expected,
        answered: receiver.answered.size,
        answeredTwice: [...receiver.answered.values()].filter((n) => n > 1).length,
        maxConcurrent: receiver.maxOpen(),
        rssFirst: Math.round(samples[0]!.rss),
        rssOutagePeak: Math.round(outagePeak),
        rssMax: Math.round(Math.max(...samples.map((s) => s.rss))),
        maxWaiting: Math.max(...samples.map((s) => s.waiting)),
      };
      console.log(`outage and recovery: ${JSON.stringify(summary)}`);

      // Exactly once: one answered delivery per (event, subscription), none answered twice.
      expect(receiver.answered.size).toBe(expected);
      expect(summary.answeredTwice).toBe(0);
      // No burst: the backlog came back within the destination's share of slots.
      expect(summary.maxConcurrent).toBeLessThanOrEqual(DESTINATION_SHARE);
      // Bounded: memory through the outage, and what waits in memory: a clinic's share (500), and
      // at most one claim's worth of its rows (100) taken before it counted as held.
      expect(summary.rssMax - summary.rssFirst).toBeLessThanOrEqual(MEMORY_BOUND_MIB);
      expect(summary.maxWaiting).toBeLessThanOrEqual(600);
    } finally {
      await receiver.close();
    }
  });
});

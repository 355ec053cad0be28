/**
 * Shutting down with deliveries claimed but not yet started: the batches under way finish and are
 * recorded, and the rest go back to the outbox, so the next server sends them at once rather than
 * after they have been overdue long enough to count as lost.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { DatabaseHandle } from '../db/connect';
import { startServer, type RunningServer } from '../server';
import { backends, openTestDatabase } from './support/databases';
import { apiClient, rawRequest } from './support/server';
import { waitUntil } from './support/wait';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A receiver that holds every answer until released; counts the deliveries it answered. */
async function holdingReceiver() {
  const answered = new Set<string>();
  let started = 0;
  let held: Array<() => void> | undefined = [];
  const server = http.createServer((req, res) => {
    started++;
    req.resume();
    req.on('end', () => {
      const answer = () => {
        answered.add(String(req.headers['webhook-id']));
        res.writeHead(200);
        res.end('ok');
      };
      if (held) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered,
    started: () => started,
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const answer of waiting) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.each(backends())('webhook shutdown with claimed deliveries on %s', (backend) => {
  const SUBSCRIPTIONS = 50;
  const EVENTS = 10;
  let database: DatabaseHandle;
  const servers: RunningServer[] = [];
  const start = async () => {
    const running = await startServer({
      database,
      config: { port: 0, host: '127.0.0.1', devTools: true, allowPrivateWebhooks: true },
      logger: pino({ level: 'silent' }),
      seedDemo: false,
    });
    servers.push(running);
    return running;
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await database.close();
  });

  test('finishes the batches under way, and the next server sends the rest at once', async () => {
    const receiver = await holdingReceiver();
    try {
      const first = await start();
      const clinic = await rawRequest(first.url, 'POST', '/dev/clinics', { name: 'Shutdown', timezone: 'UTC' });
      const api = apiClient(first.url, clinic.body.api_key);
      for (let s = 0; s < SUBSCRIPTIONS; s++) {
        expect((await api.post('/api/v1/webhooks', { url: `${receiver.url}/${s}`, events: ['lead.created'] })).status).toBe(201);
      }
      for (let i = 0; i < EVENTS; i++) expect((await api.post('/api/v1/leads', { email: `stop-${i}@example.com` })).status).toBe(201);
      const total = SUBSCRIPTIONS * EVENTS;
      const { db } = database;
      const dispatched = async () =>
        Number(
          (
            await db
              .selectFrom('webhook_deliveries')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('dispatched', '=', true)
              .executeTakeFirstOrThrow()
          ).n,
        );
      // Every delivery claimed; the receiver holds the batches under way, so the rest wait in the lane.
      await waitUntil('every delivery to be claimed', async () => (await dispatched()) === total, 30_000);
      await waitUntil('the batches in flight to reach the receiver', () => receiver.started() > 0, 30_000);
      await sleep(200);

      const closing = first.close();
      await sleep(200);
      receiver.release();
      await closing;

      // What was under way was answered and recorded; the rest is back in the outbox, unsent.
      const rows = await db.selectFrom('webhook_deliveries').select(['id', 'status', 'dispatched']).execute();
      expect(rows).toHaveLength(total);
      const succeeded = rows.filter((r) => r.status === 'succeeded');
      expect(new Set(succeeded.map((r) => r.id))).toEqual(receiver.answered);
      const rest = rows.filter((r) => r.status !== 'succeeded');
      expect(rest.length).toBeGreaterThan(0);
      expect(rest.every((r) => r.status === 'pending' && !r.dispatched)).toBe(true);

      // The next server sends the rest at once (a lost claim would wait minutes to count as overdue).
      await start();
      await waitUntil('every delivery to be answered', () => receiver.answered.size === total, 20_000);
      await waitUntil(
        'every delivery to be recorded',
        async () => (await db.selectFrom('webhook_deliveries').select('status').execute()).every((r) => r.status === 'succeeded'),
        30_000,
      );
    } finally {
      await receiver.close();
    }
  });
});

// PGlite's data directory has one process: a claim still pending at start was this process's before
// a crash, and is claimed again at once rather than once it is overdue (5 minutes by default).
for (const backend of backends().filter((b) => b === 'pglite')) {
  describe(`webhook claims left by a crash on ${backend}`, () => {
    test('are claimed again and sent at the next start', async () => {
      const database = await openTestDatabase(backend);
      const receiver = await holdingReceiver();
      receiver.release();
      try {
        const first = await startServer({
          database,
          config: { port: 0, host: '127.0.0.1', devTools: true, allowPrivateWebhooks: true, runWorker: false },
          logger: pino({ level: 'silent' }),
          seedDemo: false,
        });
        const clinic = await rawRequest(first.url, 'POST', '/dev/clinics', { name: 'Crash', timezone: 'UTC' });
        const api = apiClient(first.url, clinic.body.api_key);
        expect((await api.post('/api/v1/webhooks', { url: `${receiver.url}/hook`, events: ['lead.created'] })).status).toBe(201);
        for (let i = 0; i < 3; i++) expect((await api.post('/api/v1/leads', { email: `crash-${i}@example.com` })).status).toBe(201);
        await first.close();
        // What a process that claimed them and then died leaves behind: claimed, due, never recorded.
        const claimed = await database.db
          .updateTable('webhook_deliveries')
          .set((eb) => ({ dispatched: true, job_seq: eb('job_seq', '+', 1), next_attempt_at: new Date() }))
          .returning('id')
          .execute();
        expect(claimed).toHaveLength(3);

        const second = await startServer({
          database,
          config: { port: 0, host: '127.0.0.1', devTools: true, allowPrivateWebhooks: true },
          logger: pino({ level: 'silent' }),
          seedDemo: false,
        });
        try {
          await waitUntil('the claimed deliveries to arrive', () => receiver.answered.size === 3, 10_000);
          expect(receiver.answered).toEqual(new Set(claimed.map((c) => c.id)));
        } finally {
          await second.close();
        }
      } finally {
        await receiver.close();
        await database.close();
      }
    });
  });
}

/**
 * The fan-out worker (issue 12): deliveries are claimed, posted and recorded in batches, over
 * keep-alive connections, every one signed and logged; and the named error descriptions of an
 * attempt (issue 13).
 */
import { sql } from 'kysely';
import pino from 'pino';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { DatabaseHandle } from '../db/connect';
import { startServer, type RunningServer } from '../server';
import { describeStatus } from '../webhooks/attempt';
import { backends, openTestDatabase } from './support/databases';
import { countedDatabase, queryCounter } from './support/db-counts';
import { startReceiver, type Receiver } from './support/receiver';
import { apiClient, rawRequest, type ApiClient } from './support/server';

describe('attempt descriptions', () => {
  // Transport failures (refusals, timeouts, network errors) are described in pinned-transport.ts
  // and tested in webhook-transport.test.ts.
  it('says what an HTTP answer means, never repeating where a redirect pointed', () => {
    expect(describeStatus(204)).toBeNull();
    expect(describeStatus(302)).toBe('redirect (HTTP 302) not followed');
    expect(describeStatus(500)).toBe('HTTP 500');
  });
});

describe.each(backends())('webhook fan-out on %s', (backend) => {
  const SUBSCRIPTIONS = 50;
  const EVENTS = 4;
  let database: DatabaseHandle;
  let running: RunningServer;
  let receiver: Receiver;
  let api: ApiClient;
  const counter = queryCounter();

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    running = await startServer({
      database: countedDatabase(database, counter),
      config: { port: 0, host: '127.0.0.1', devTools: true, allowPrivateWebhooks: true },
      logger: pino({ level: 'silent' }),
      seedDemo: false,
    });
    receiver = await startReceiver();
    const res = await rawRequest(running.url, 'POST', '/dev/clinics', { name: 'Fan-out', timezone: 'UTC' });
    api = apiClient(running.url, res.body.api_key);
  });

  afterAll(async () => {
    await running.close();
    await database.close();
    await receiver.close();
  });

  test('200 deliveries are posted, signed and logged with far fewer database round trips and connections than deliveries', async () => {
    for (let s = 0; s < SUBSCRIPTIONS; s++) {
      const sub = await api.post('/api/v1/webhooks', { url: `${receiver.url}/${s}`, events: ['lead.created'] });
      expect(sub.status).toBe(201);
    }
    const before = counter.count;
    const leads = await Promise.all(Array.from({ length: EVENTS }, (_, i) => api.post('/api/v1/leads', { email: `fan-${i}@example.com` })));
    expect(leads.map((l) => l.status)).toEqual(Array(EVENTS).fill(201));
    const received = await receiver.waitFor(SUBSCRIPTIONS * EVENTS, 60_000);

    // Every (event, subscription) pair arrives: one delivery id each, about one of the leads.
    const leadIds = new Set(leads.map((l) => l.body.id as string));
    const deliveryIds = new Set(received.map((r) => r.headers['webhook-id'] as string));
    expect(deliveryIds.size).toBe(SUBSCRIPTIONS * EVENTS);
    for (const r of received) expect(leadIds.has((JSON.parse(r.body) as { data: { lead: { id: string } } }).data.lead.id)).toBe(true);

    // The delivery log: every delivery succeeded after one attempt.
    const deadline = Date.now() + 30_000;
    let rows: { status: string; attempt_count: number }[] = [];
    while (Date.now() < deadline) {
      rows = await database.db.selectFrom('webhook_deliveries').select(['status', 'attempt_count']).execute();
      if (rows.length === SUBSCRIPTIONS * EVENTS && rows.every((r) => r.status === 'succeeded')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toHaveLength(SUBSCRIPTIONS * EVENTS);
    expect(rows.every((r) => r.status === 'succeeded' && r.attempt_count === 1)).toBe(true);
    const attempts = await database.db.selectFrom('webhook_delivery_attempts').select('response_status').execute();
    expect(attempts.map((a) => a.response_status)).toEqual(Array(SUBSCRIPTIONS * EVENTS).fill(200));

    // The writes themselves, the dispatcher and the batches: a few dozen queries, not several per delivery.
    expect(counter.count - before).toBeLessThan((SUBSCRIPTIONS * EVENTS) / 2);
    // Keep-alive connections are reused and capped per receiver origin: not one per POST in flight.
    expect(receiver.connections()).toBeLessThanOrEqual(64);
    // First attempts go from the dispatcher's claim straight to this process's batches, without a
    // round through the job queue (which holds only what is due later).
    const jobs = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'webhook-delivery'`.execute(database.db);
    expect(jobs.rows).toEqual([{ n: 0 }]);
  });

  test('each delivery verifies against exactly one subscription secret', async () => {
    const secrets = (await database.db.selectFrom('webhooks').select('secret').execute()).map((r) => r.secret);
    expect(secrets).toHaveLength(SUBSCRIPTIONS);
    for (const r of receiver.received) {
      const ok = secrets.filter((secret) => {
        try {
          new StandardWebhook(secret).verify(r.body, {
            'webhook-id': r.headers['webhook-id'] as string,
            'webhook-timestamp': r.headers['webhook-timestamp'] as string,
            'webhook-signature': r.headers['webhook-signature'] as string,
          });
          return true;
        } catch {
          return false;
        }
      });
      expect(ok).toHaveLength(1);
    }
  });
});

/**
 * The fan-out worker (issue 12): deliveries are claimed, posted and recorded in batches, over
 * keep-alive connections, every one signed and logged; and the named error descriptions of an
 * attempt (issue 13).
 */
import { sql } from 'kysely';
import pino from 'pino';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { DatabaseHandle } from '../db/connect';
import { createClinic } from '../services/clinics';
import { startServer, type RunningServer } from '../server';
import { describeStatus } from '../webhooks/attempt';
import { recordOutcomes, type Attempted } from '../webhooks/outcome';
import { recordEvent } from '../webhooks/outbox';
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

/*
 * Recording a batch's outcomes must not wait on writes that are recording new events for the same
 * subscriptions. Inserting a delivery takes a KEY SHARE lock on its subscription row (the foreign
 * key check); the outcome's locks must be the no-key kind that do not conflict with it, or a
 * fan-out's recording queues behind every write in flight, and deadlocks with one that inserts
 * its deliveries in another order.
 */
// PostgreSQL only: PGlite has one connection, so there are never two transactions at once.
for (const backend of backends().filter((b) => b === 'postgres')) {
  describe(`recording outcomes beside writes that queue new deliveries on ${backend}`, () => {
    let database: DatabaseHandle;

    beforeAll(async () => {
      database = await openTestDatabase(backend);
    });
    afterAll(async () => {
      await database.close();
    });

    test('a successful batch is recorded while a write holding its subscriptions is still open', async () => {
      const { db } = database;
      const { clinic } = await createClinic(db, 'Locks', 'UTC');
      const key = await db.selectFrom('api_keys').select('id').where('clinic_id', '=', clinic.id).executeTakeFirstOrThrow();
      const webhook = await db
        .insertInto('webhooks')
        .values({ clinic_id: clinic.id, api_key_id: key.id, url: 'http://127.0.0.1:9/hook', events: ['lead.created'], secret: 'whsec_x' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const lead = { id: 'lead_1', email: 'a@example.com' } as never;
      const event = await db.transaction().execute((trx) => recordEvent(trx, clinic.id, 'lead.created', lead));
      const delivery = await db
        .selectFrom('webhook_deliveries')
        .select(['id', 'job_seq'])
        .where('event_id', '=', event.id)
        .executeTakeFirstOrThrow();

      // A write recording the next event for the same subscription, not yet committed.
      let finishWrite!: () => void;
      const writeOpen = new Promise<void>((resolve) => {
        finishWrite = resolve;
      });
      let writeRecorded!: () => void;
      const recorded = new Promise<void>((resolve) => {
        writeRecorded = resolve;
      });
      const write = db.transaction().execute(async (trx) => {
        await recordEvent(trx, clinic.id, 'lead.created', lead);
        writeRecorded();
        await writeOpen;
      });
      await recorded;

      const attempted: Attempted[] = [
        {
          target: {
            deliveryId: delivery.id,
            clinicId: clinic.id,
            seq: delivery.job_seq,
            webhookId: webhook.id,
            url: 'http://127.0.0.1:9/hook',
            secret: 'whsec_x',
            type: 'lead.created',
            payload: '{}',
          },
          outcome: { status: 200, error: null, latencyMs: 1, attemptedAt: new Date() },
        },
      ];
      const settings = { scale: 1, queueRetries: async () => undefined, log: { info: () => undefined, warn: () => undefined } };
      try {
        await db.transaction().execute(async (trx) => {
          await sql`set local lock_timeout = '3s'`.execute(trx);
          await recordOutcomes(trx, attempted, settings);
        });
      } finally {
        finishWrite();
        await write;
      }

      const row = await db
        .selectFrom('webhook_deliveries')
        .select(['status', 'attempt_count'])
        .where('id', '=', delivery.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'succeeded', attempt_count: 1 });
      const hook = await db.selectFrom('webhooks').select('last_success_at').where('id', '=', webhook.id).executeTakeFirstOrThrow();
      expect(hook.last_success_at).not.toBeNull();
    });
  });
}

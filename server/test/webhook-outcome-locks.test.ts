/**
 * Recording a batch's outcomes must not wait on writes that are recording new events for the same
 * subscriptions. Inserting a delivery takes a KEY SHARE lock on its subscription row (the foreign
 * key check); the outcome's locks must be the no-key kind that do not conflict with it, or a
 * fan-out's recording queues behind every write in flight, and deadlocks with one that inserts
 * its deliveries in another order (PostgreSQL only: PGlite has one connection, so there are never
 * two transactions at once).
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import { createClinic } from '../services/clinics';
import type { Attempted } from '../webhooks/outcome';
import { recordOutcomes } from '../webhooks/outcome';
import { recordEvent } from '../webhooks/outbox';
import { openTestDatabase } from './support/databases';

const runs = process.env.QB_TEST_BACKENDS === 'pglite' ? describe.skip : describe;

runs('recording outcomes beside writes that queue new deliveries (postgres)', () => {
  let database: DatabaseHandle;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
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
    const settings = { scale: 1, queueRetry: async () => undefined, log: { info: () => undefined, warn: () => undefined } };
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

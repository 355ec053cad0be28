/**
 * Subscriptions and their deliveries are locked in one order by every transaction that locks both
 * (webhooks/removal.ts): deliveries first, then subscriptions. Each case holds a delivery locked by
 * an outcome write (as its first statement does), lets a delete, a revoke or another outcome
 * write (a 410 Gone, which deletes the subscription) start and wait for it, and then records the
 * outcome, which locks the subscription. Deleting the subscription first
 * (a plain DELETE, whose cascade then waits for the delivery) was a deadlock on PostgreSQL. On
 * PGlite transactions take turns on its one connection: the same steps, the same end state.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import type { Database } from '../db/schema';
import { revokeApiKey } from '../services/api-keys';
import { createClinic } from '../services/clinics';
import { deleteWebhook } from '../services/webhooks';
import type { DeliveryTarget } from '../webhooks/attempt';
import { recordEvent } from '../webhooks/outbox';
import { recordOutcomes, type QueuedRetry } from '../webhooks/outcome';
import { backends, openTestDatabase, type Backend } from './support/databases';
import { waitUntil } from './support/wait';

/** A clinic's subscription with `count` deliveries, claimed (dispatched under job 1) as the dispatcher leaves them. */
async function claimedDeliveries(db: Kysely<Database>, count = 1): Promise<{ targets: DeliveryTarget[]; keyId: string }> {
  const { clinic } = await createClinic(db, 'Lock order', 'UTC');
  const key = await db.selectFrom('api_keys').select('id').where('clinic_id', '=', clinic.id).executeTakeFirstOrThrow();
  const webhook = await db
    .insertInto('webhooks')
    .values({ clinic_id: clinic.id, api_key_id: key.id, url: 'https://down.example.test/h', events: ['lead.created'], secret: 'whsec_x' })
    .returning(['id', 'url', 'secret'])
    .executeTakeFirstOrThrow();
  for (let i = 0; i < count; i++)
    await db.transaction().execute((trx) => recordEvent(trx, clinic.id, 'lead.created', { id: `lead_${i}` } as never));
  const deliveries = await db
    .updateTable('webhook_deliveries')
    .set({ dispatched: true, job_seq: 1 })
    .where('webhook_id', '=', webhook.id)
    .returning(['id', 'event_id'])
    .execute();
  const targets: DeliveryTarget[] = [];
  for (const delivery of deliveries) {
    const event = await db
      .selectFrom('webhook_events')
      .select(['type', 'payload'])
      .where('id', '=', delivery.event_id)
      .executeTakeFirstOrThrow();
    targets.push({
      deliveryId: delivery.id,
      clinicId: clinic.id,
      seq: 1,
      webhookId: webhook.id,
      url: webhook.url,
      secret: webhook.secret,
      ...event,
    });
  }
  return { keyId: key.id, targets };
}

/** One claimed delivery (claimedDeliveries with count 1) and its subscription's key. */
async function claimedDelivery(db: Kysely<Database>): Promise<{ target: DeliveryTarget; keyId: string }> {
  const {
    targets: [target],
    keyId,
  } = await claimedDeliveries(db);
  if (!target) throw new Error('no delivery was written');
  return { target, keyId };
}

const quietLog = { info: () => undefined, warn: () => undefined };

/** Whether another session of this database waits for a lock now. */
async function someoneWaitsForALock(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`.execute(db);
  return rows[0]!.n > 0;
}

/**
 * An outcome write for `target` (a failed attempt: it locks the subscription too) that locks the
 * delivery first, then starts `other` and, on PostgreSQL, lets it reach its wait before going on.
 * Resolves both results.
 */
async function outcomeBeside(database: DatabaseHandle, backend: Backend, target: DeliveryTarget, other: () => Promise<unknown>) {
  const { db } = database;
  const retries: QueuedRetry[] = [];
  let beside: Promise<PromiseSettledResult<unknown>> = Promise.resolve({ status: 'rejected', reason: 'never started' });
  const outcome = db.transaction().execute(async (trx) => {
    await trx.selectFrom('webhook_deliveries').select('id').where('id', '=', target.deliveryId).forNoKeyUpdate().execute();
    beside = Promise.allSettled([other()]).then(([result]) => result!);
    if (backend === 'postgres') await waitUntil('the other transaction to wait for the delivery', () => someoneWaitsForALock(db), 10_000);
    const failed = { status: 503, error: 'HTTP 503', latencyMs: 5, attemptedAt: new Date() };
    await recordOutcomes(trx, [{ target, outcome: failed }], {
      scale: 1,
      queueRetries: async (_trx, queued) => void retries.push(...queued),
      log: quietLog,
    });
  });
  const [written] = await Promise.allSettled([outcome]);
  return { written, beside: await beside, retries };
}

describe.each(backends())('locks taken beside an outcome write on %s', (backend) => {
  let database: DatabaseHandle;
  beforeEach(async () => {
    database = await openTestDatabase(backend);
  });
  afterEach(async () => {
    await database.close();
  });

  it('deletes a subscription while an outcome of its delivery is being recorded: both finish, nothing is left', async () => {
    const { db } = database;
    const { target, keyId } = await claimedDelivery(db);
    const { written, beside, retries } = await outcomeBeside(database, backend, target, () =>
      deleteWebhook(db, { clinicId: target.clinicId, keyId }, target.webhookId),
    );
    expect(written).toEqual({ status: 'fulfilled', value: undefined });
    expect(beside).toEqual({ status: 'fulfilled', value: undefined });
    expect(retries.map((r) => r.deliveryId)).toEqual([target.deliveryId]);
    expect(await db.selectFrom('webhooks').select('id').where('id', '=', target.webhookId).execute()).toEqual([]);
    expect(await db.selectFrom('webhook_deliveries').select('id').where('id', '=', target.deliveryId).execute()).toEqual([]);
    expect(await db.selectFrom('webhook_delivery_attempts').select('id').where('delivery_id', '=', target.deliveryId).execute()).toEqual(
      [],
    );
  });

  it("revokes the subscription's key while an outcome of its delivery is being recorded: both finish, the delivery ends failed", async () => {
    const { db } = database;
    const { target, keyId } = await claimedDelivery(db);
    const { written, beside } = await outcomeBeside(database, backend, target, () => revokeApiKey(db, target.clinicId, keyId));
    expect(written).toEqual({ status: 'fulfilled', value: undefined });
    expect(beside).toEqual({ status: 'fulfilled', value: true });
    const webhook = await db.selectFrom('webhooks').select('status').where('id', '=', target.webhookId).executeTakeFirstOrThrow();
    expect(webhook.status).toBe('disabled');
    const delivery = await db
      .selectFrom('webhook_deliveries')
      .select(['status', 'attempt_count'])
      .where('id', '=', target.deliveryId)
      .executeTakeFirstOrThrow();
    expect(delivery).toEqual({ status: 'failed', attempt_count: 1 });
  });
  it("records a receiver's 410 Gone (deleting the subscription) while another outcome of the same subscription is being recorded: both finish", async () => {
    const { db } = database;
    const { targets } = await claimedDeliveries(db, 2);
    const [goneOne, failedOne] = targets;
    if (!goneOne || !failedOne) throw new Error('two deliveries were not written');
    const gone = { status: 410, error: 'HTTP 410', latencyMs: 5, attemptedAt: new Date() };
    const { written, beside } = await outcomeBeside(database, backend, failedOne, () =>
      db
        .transaction()
        .execute((trx) =>
          recordOutcomes(trx, [{ target: goneOne, outcome: gone }], { scale: 1, queueRetries: async () => undefined, log: quietLog }),
        ),
    );
    expect(written).toEqual({ status: 'fulfilled', value: undefined });
    expect(beside).toEqual({ status: 'fulfilled', value: { succeeded: 0, failed: 0 } });
    expect(await db.selectFrom('webhooks').select('id').where('id', '=', goneOne.webhookId).execute()).toEqual([]);
    expect(await db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', goneOne.webhookId).execute()).toEqual([]);
  });
});

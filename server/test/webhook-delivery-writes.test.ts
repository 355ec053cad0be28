/**
 * What a delivery writes (issue 20, the fan-out drain): its row is written three times (queued,
 * claimed, finished) and every version adds an entry to every index of the table, so the table
 * keeps only the indexes something reads (migration 022); and a batch of successes rewrites a
 * subscription's row only when that says something new (its failures are over, or its last success
 * is more than a second old), not once per batch.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import type { Database } from '../db/schema';
import { createClinic } from '../services/clinics';
import type { AttemptOutcome } from '../webhooks/attempt';
import { recordOutcomes, type Attempted } from '../webhooks/outcome';
import { recordEvent } from '../webhooks/outbox';
import { backends, openTestDatabase } from './support/databases';

const settings = { scale: 1, queueRetries: async () => undefined, log: { info: () => undefined, warn: () => undefined } };
const ok = (): AttemptOutcome => ({ status: 200, error: null, latencyMs: 1, attemptedAt: new Date() });
const failed = (): AttemptOutcome => ({ status: 500, error: 'HTTP 500', latencyMs: 1, attemptedAt: new Date() });

/** A clinic with one subscription to lead.created. */
async function subscribedClinic(db: Kysely<Database>, name: string) {
  const { clinic } = await createClinic(db, name, 'UTC');
  const key = await db.selectFrom('api_keys').select('id').where('clinic_id', '=', clinic.id).executeTakeFirstOrThrow();
  const webhook = await db
    .insertInto('webhooks')
    .values({ clinic_id: clinic.id, api_key_id: key.id, url: 'http://127.0.0.1:9/hook', events: ['lead.created'], secret: 'whsec_x' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { clinicId: clinic.id, webhookId: webhook.id };
}

/**
 * Records a new event's delivery to the clinic's subscription, and then what `outcome` says of its
 * attempt, in a transaction that runs `before` first (its `now()` is the recording's).
 */
async function deliverOnce(
  db: Kysely<Database>,
  hook: { clinicId: string; webhookId: string },
  outcome: AttemptOutcome,
  before: (trx: Transaction<Database>) => Promise<unknown> = async () => undefined,
) {
  const event = await db
    .transaction()
    .execute((trx) => recordEvent(trx, hook.clinicId, 'lead.created', { id: 'lead_1', email: 'a@example.com' } as never));
  const delivery = await db
    .selectFrom('webhook_deliveries')
    .select(['id', 'job_seq'])
    .where('event_id', '=', event.id)
    .executeTakeFirstOrThrow();
  const attempted: Attempted[] = [
    {
      target: {
        deliveryId: delivery.id,
        clinicId: hook.clinicId,
        seq: delivery.job_seq,
        webhookId: hook.webhookId,
        url: 'http://127.0.0.1:9/hook',
      },
      outcome,
    } as Attempted,
  ];
  await db.transaction().execute(async (trx) => {
    await before(trx);
    await recordOutcomes(trx, attempted, settings);
  });
  return { eventId: event.id, deliveryId: delivery.id };
}

async function subscriptionRow(db: Kysely<Database>, webhookId: string) {
  return db.selectFrom('webhooks').select(['last_success_at', 'failing_since']).where('id', '=', webhookId).executeTakeFirstOrThrow();
}

describe.each(backends())('delivery writes on %s', (backend) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database.close();
  });

  test('the delivery table has only the indexes something reads, and still one delivery per event and subscription', async () => {
    const { db } = database;
    const { rows } = await sql<{ name: string }>`
      select indexname as name from pg_indexes where tablename = 'webhook_deliveries' order by indexname`.execute(db);
    expect(rows.map((r) => r.name)).toEqual([
      'webhook_deliveries_claimed',
      'webhook_deliveries_event_webhook',
      'webhook_deliveries_finished',
      'webhook_deliveries_outbox',
      'webhook_deliveries_pending_age',
      'webhook_deliveries_pkey',
      'webhook_deliveries_webhook',
    ]);
    const hook = await subscribedClinic(db, 'Unique');
    const { eventId } = await deliverOnce(db, hook, ok());
    await expect(
      sql`insert into webhook_deliveries (id, clinic_id, webhook_id, event_id) values ('msg_again', ${hook.clinicId}::uuid, ${hook.webhookId}::uuid, ${eventId})`.execute(
        db,
      ),
    ).rejects.toThrow(/webhook_deliveries_event_webhook/);
  });

  test("a clinic's deliveries go with it, through its subscriptions and events, and no delivery row locks the clinic's", async () => {
    const { db } = database;
    const { rows } = await sql<{ name: string }>`
      select conname as name from pg_constraint
      where conrelid = 'webhook_deliveries'::regclass and contype = 'f' and confrelid = 'clinics'::regclass`.execute(db);
    expect(rows).toEqual([]);
    const hook = await subscribedClinic(db, 'Gone');
    const { deliveryId } = await deliverOnce(db, hook, ok());
    await db.deleteFrom('clinics').where('id', '=', hook.clinicId).execute();
    const left = await db.selectFrom('webhook_deliveries').select('id').where('id', '=', deliveryId).execute();
    expect(left).toEqual([]);
  });

  test("a batch of successes rewrites a subscription's row only when its failures end or its last success is a second old", async () => {
    const { db } = database;
    const hook = await subscribedClinic(db, 'Successes');
    /** In the recording's transaction: its last success `ago` before the recording's now(); resolves to what it wrote and to now(). */
    let written: { before: Date; now: Date } | undefined;
    const lastSuccess = (ago: string) => async (trx: Transaction<Database>) => {
      const { rows } = await sql<{ before: Date; now: Date }>`
        update webhooks set last_success_at = now() - ${ago}::interval where id = ${hook.webhookId}::uuid
        returning last_success_at as before, now() as now`.execute(trx);
      written = rows[0];
    };

    await deliverOnce(db, hook, ok());
    expect((await subscriptionRow(db, hook.webhookId)).last_success_at).not.toBeNull();

    // Half a second ago: left as it is.
    await deliverOnce(db, hook, ok(), lastSuccess('0.5 seconds'));
    expect(await subscriptionRow(db, hook.webhookId)).toEqual({ last_success_at: written!.before, failing_since: null });

    // Two seconds ago: rewritten.
    await deliverOnce(db, hook, ok(), lastSuccess('2 seconds'));
    expect(await subscriptionRow(db, hook.webhookId)).toEqual({ last_success_at: written!.now, failing_since: null });

    // Failing since a failure, however recent its last success: a success ends that.
    await deliverOnce(db, hook, failed());
    expect((await subscriptionRow(db, hook.webhookId)).failing_since).not.toBeNull();
    await deliverOnce(db, hook, ok(), lastSuccess('0.5 seconds'));
    expect(await subscriptionRow(db, hook.webhookId)).toEqual({ last_success_at: written!.now, failing_since: null });
  });
});

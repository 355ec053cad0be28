/**
 * The dashboard's webhooks page loader: every subscription of the clinic (under live and revoked
 * keys), newest first, each with its latest deliveries and their attempts, in one query. The
 * reference is what the API's own services say, gathered key by key as the page once did.
 */
import type { Kysely, KyselyPlugin } from 'kysely';
import { RECENT_DELIVERIES, loadSubscriptions } from '../dashboard/loaders/webhooks';
import type { SubscriptionView } from '../dashboard/views/webhooks';
import type { DatabaseHandle } from '../db/connect';
import type { Database } from '../db/schema';
import { createApiKey, listApiKeys, revokeApiKey } from '../services/api-keys';
import { createClinic } from '../services/clinics';
import { listDeliveries } from '../services/webhook-deliveries';
import { listWebhooks } from '../services/webhooks';
import { backends, openTestDatabase } from './support/databases';

/** The page's data as the services give it: keys -> their subscriptions -> latest deliveries. */
async function viaServices(db: Kysely<Database>, clinicId: string): Promise<SubscriptionView[]> {
  const views: SubscriptionView[] = [];
  for (const key of await listApiKeys(db, clinicId)) {
    for (const webhook of await listWebhooks(db, { clinicId, keyId: key.id })) {
      const deliveries = await listDeliveries(db, { clinicId }, webhook.id, { page: 1, per_page: RECENT_DELIVERIES });
      views.push({
        webhook,
        keyName: key.name,
        keyPrefix: key.prefix,
        keyRevoked: key.revoked_at !== null,
        deliveries: deliveries.data,
        totalDeliveries: deliveries.meta.total,
      });
    }
  }
  return views.sort((a, b) => b.webhook.created_at.localeCompare(a.webhook.created_at));
}

/** Counts the queries run through `db`. */
function counting(db: Kysely<Database>): { db: Kysely<Database>; queries: () => number } {
  let count = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      count += 1;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { db: db.withPlugin(plugin), queries: () => count };
}

let eventSeq = 0;

/** `count` deliveries of one event type each, a minute apart from `start`, microseconds included. */
async function addDeliveries(db: Kysely<Database>, clinicId: string, webhookId: string, start: string, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const eventId = `evt_${String(++eventSeq).padStart(24, '0')}`;
    const at = new Date(Date.parse(start) + i * 60_000).toISOString().replace('Z', '456Z');
    await db
      .insertInto('webhook_events')
      .values({ id: eventId, clinic_id: clinicId, type: i % 2 ? 'lead.created' : 'appointment.booked', payload: '{}', created_at: at })
      .execute();
    const id = `msg_${eventSeq.toString(16).padStart(32, '0')}`;
    await db
      .insertInto('webhook_deliveries')
      .values({
        id,
        clinic_id: clinicId,
        webhook_id: webhookId,
        event_id: eventId,
        status: i % 3 === 0 ? 'pending' : i % 3 === 1 ? 'succeeded' : 'failed',
        next_attempt_at: i % 3 === 0 ? at : null,
        created_at: at,
      })
      .execute();
    ids.push(id);
  }
  return ids;
}

async function addWebhook(db: Kysely<Database>, clinicId: string, keyId: string, createdAt: string, url: string) {
  const row = await db
    .insertInto('webhooks')
    .values({
      clinic_id: clinicId,
      api_key_id: keyId,
      url,
      events: ['lead.created', 'appointment.booked'],
      secret: 'whsec_test',
      created_at: createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe.each(backends())('dashboard webhooks loader on %s', (backend) => {
  let database: DatabaseHandle;
  let db: Kysely<Database>;
  let clinicId: string;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    db = database.db;
    clinicId = (await createClinic(db, 'Loader Clinic', 'Europe/Berlin')).clinic.id;
    const otherClinic = (await createClinic(db, 'Other Clinic', 'Europe/Berlin')).clinic.id;
    const [first] = await listApiKeys(db, clinicId);
    const second = (await createApiKey(db, clinicId, 'Zapier', ['webhooks:write'])).row;
    const revoked = (await createApiKey(db, clinicId, 'Old CRM', ['webhooks:write'])).row;
    await revokeApiKey(db, clinicId, revoked.id);
    const [otherKey] = await listApiKeys(db, otherClinic);

    // Creation times interleave across keys, so the page order is not the keys' order.
    const busy = await addWebhook(db, clinicId, first!.id, '2026-03-01T10:00:00.100Z', 'https://a.example/busy');
    const quiet = await addWebhook(db, clinicId, second.id, '2026-03-02T10:00:00.200Z', 'https://b.example/quiet');
    const old = await addWebhook(db, clinicId, revoked.id, '2026-02-01T10:00:00.300Z', 'https://c.example/old');
    const newest = await addWebhook(db, clinicId, first!.id, '2026-03-03T10:00:00.400Z', 'https://a.example/newest');
    const foreign = await addWebhook(db, otherClinic, otherKey!.id, '2026-03-04T10:00:00.000Z', 'https://x.example/other');
    await db.updateTable('webhooks').set({ status: 'disabled', disabled_reason: 'Failing for 3 days' }).where('id', '=', old).execute();

    const busyDeliveries = await addDeliveries(db, clinicId, busy, '2026-03-05T08:00:00.000Z', RECENT_DELIVERIES + 3);
    await addDeliveries(db, clinicId, old, '2026-03-05T09:00:00.000Z', 2);
    await addDeliveries(db, clinicId, newest, '2026-03-05T10:00:00.000Z', 1);
    await addDeliveries(db, otherClinic, foreign, '2026-03-05T11:00:00.000Z', 2);
    void quiet; // a subscription with no deliveries yet

    const last = busyDeliveries[busyDeliveries.length - 1]!;
    await db
      .insertInto('webhook_delivery_attempts')
      .values([
        {
          delivery_id: last,
          attempted_at: '2026-03-05T12:00:05.123456Z',
          response_status: null,
          latency_ms: 10_000,
          error: 'Timed out after 10 s',
        },
        { delivery_id: last, attempted_at: '2026-03-05T12:00:00.000001Z', response_status: 503, latency_ms: 87, error: null },
        { delivery_id: last, attempted_at: '2026-03-05T12:05:00.999999Z', response_status: 200, latency_ms: 41, error: null },
        { delivery_id: busyDeliveries[0]!, attempted_at: '2026-03-05T08:00:01.5Z', response_status: 410, latency_ms: 12, error: null },
      ])
      .execute();
  });
  afterAll(() => database?.close());

  it('gives what the services give: every subscription of the clinic with its key and latest deliveries', async () => {
    const loaded = await loadSubscriptions(db, clinicId);
    expect(loaded).toEqual(await viaServices(db, clinicId));

    expect(loaded.map((s) => s.webhook.url)).toEqual([
      'https://a.example/newest',
      'https://b.example/quiet',
      'https://a.example/busy',
      'https://c.example/old',
    ]);
    const busy = loaded[2]!;
    expect(busy.totalDeliveries).toBe(RECENT_DELIVERIES + 3);
    expect(busy.deliveries).toHaveLength(RECENT_DELIVERIES);
    expect(busy.deliveries[0]!.attempts.map((a) => [a.attempted_at, a.response_status])).toEqual([
      ['2026-03-05T12:00:00.000Z', 503],
      ['2026-03-05T12:00:05.123Z', null],
      ['2026-03-05T12:05:00.999Z', 200],
    ]);
    expect(loaded[3]).toMatchObject({ keyName: 'Old CRM', keyRevoked: true, totalDeliveries: 2, webhook: { status: 'disabled' } });
    expect(loaded[1]).toMatchObject({ keyName: 'Zapier', keyRevoked: false, deliveries: [], totalDeliveries: 0 });
  });

  it('reads the whole page in one query, however many keys and subscriptions', async () => {
    const probe = counting(db);
    const loaded = await loadSubscriptions(probe.db, clinicId);
    expect(loaded).toHaveLength(4);
    expect(probe.queries()).toBe(1);
  });

  it('shows an empty page for a clinic without subscriptions', async () => {
    const lonely = (await createClinic(db, 'Lonely Clinic', 'Europe/Berlin')).clinic.id;
    expect(await loadSubscriptions(db, lonely)).toEqual([]);
  });
});

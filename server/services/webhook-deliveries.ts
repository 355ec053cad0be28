/** The delivery log of a subscription, and manual redelivery. */
import { sql, type Kysely } from 'kysely';
import type { WebhookDelivery } from '../../contract';
import type { Database } from '../db/schema';
import { notFound } from '../errors';
import type { PageParams, Page } from './pagination';
import { iso, isoOrNull } from './serialize';
import { assertRoomToReenable, type SubscriptionCaps } from './webhooks';

/** Who may look: an API key sees its own subscriptions; the dashboard (no keyId) the clinic's. */
export interface WebhookViewer {
  clinicId: string;
  keyId?: string;
}

async function assertVisible(db: Kysely<Database>, viewer: WebhookViewer, webhookId: string) {
  let q = db.selectFrom('webhooks').select('id').where('clinic_id', '=', viewer.clinicId).where('id', '=', webhookId);
  if (viewer.keyId) q = q.where('api_key_id', '=', viewer.keyId);
  if (!(await q.executeTakeFirst())) throw notFound('Webhook');
}

async function withAttempts(
  db: Kysely<Database>,
  rows: Array<{
    id: string;
    webhook_id: string;
    event_id: string;
    type: string;
    status: string;
    next_attempt_at: Date | null;
    created_at: Date;
  }>,
): Promise<WebhookDelivery[]> {
  const attempts = rows.length
    ? await db
        .selectFrom('webhook_delivery_attempts')
        .selectAll()
        .where('delivery_id', '=', (eb) => eb.fn.any(eb.val(rows.map((r) => r.id))))
        .orderBy('attempted_at')
        .execute()
    : [];
  return rows.map((r) => ({
    id: r.id,
    webhook_id: r.webhook_id,
    event_id: r.event_id,
    event_type: r.type as WebhookDelivery['event_type'],
    status: r.status as WebhookDelivery['status'],
    attempts: attempts
      .filter((a) => a.delivery_id === r.id)
      .map((a) => ({ attempted_at: iso(a.attempted_at), response_status: a.response_status, latency_ms: a.latency_ms, error: a.error })),
    next_attempt_at: isoOrNull(r.next_attempt_at),
    created_at: iso(r.created_at),
  }));
}

const deliveryColumns = ['d.id', 'd.webhook_id', 'd.event_id', 'e.type', 'd.status', 'd.next_attempt_at', 'd.created_at'] as const;

export async function listDeliveries(
  db: Kysely<Database>,
  viewer: WebhookViewer,
  webhookId: string,
  page: PageParams,
): Promise<Page<WebhookDelivery>> {
  await assertVisible(db, viewer, webhookId);
  const base = db.selectFrom('webhook_deliveries as d').where('d.webhook_id', '=', webhookId);
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select(deliveryColumns)
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(page.per_page)
    .offset((page.page - 1) * page.per_page)
    .execute();
  return { data: await withAttempts(db, rows), meta: { page: page.page, per_page: page.per_page, total: Number(total) } };
}

/**
 * One more attempt of the same delivery (same id, same body, fresh signature), now. It goes back
 * through the outbox, so whichever process delivers webhooks picks it up; the job it gets
 * supersedes any retry still scheduled, so the delivery keeps a single retry schedule (restarted).
 * A redelivery is the owner saying the endpoint works again: a disabled subscription is
 * re-enabled, and its "failing since" clock restarts; unless that would pass a subscription cap
 * (409 limit_reached, and nothing is queued).
 */
export async function redeliver(
  db: Kysely<Database>,
  viewer: WebhookViewer,
  webhookId: string,
  deliveryId: string,
  caps: SubscriptionCaps,
): Promise<WebhookDelivery> {
  await assertVisible(db, viewer, webhookId);
  await db.transaction().execute(async (trx) => {
    await assertRoomToReenable(trx, viewer.clinicId, webhookId, caps);
    const updated = await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempt_count: 0, dispatched: false, next_attempt_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', deliveryId)
      .where('webhook_id', '=', webhookId)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw notFound('Delivery');
    await trx
      .updateTable('webhooks')
      .set({ status: 'active', disabled_reason: null, failing_since: null })
      .where('id', '=', webhookId)
      .where('status', '=', 'disabled')
      // never one whose API key was revoked: revoking ended it for good
      .where(({ exists, selectFrom }) =>
        exists(selectFrom('api_keys').select('id').whereRef('api_keys.id', '=', 'webhooks.api_key_id').where('revoked_at', 'is', null)),
      )
      .execute();
  });
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select(deliveryColumns)
    .where('d.id', '=', deliveryId)
    .execute();
  const [delivery] = await withAttempts(db, rows);
  if (!delivery) throw notFound('Delivery');
  return delivery;
}

/**
 * How many deliveries are pending, and the age of the oldest, in seconds (0 when none): one
 * statement over the partial index of pending deliveries (migrations 009 and 015: its
 * `attempt_count >= 0`, true of every row, is what makes it this statement's alone), which never
 * reads a finished one, so /metrics stays cheap however long the delivery log grows.
 */
export async function pendingDeliveries(db: Kysely<Database>): Promise<{ count: number; oldestAgeSeconds: number }> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select([sql<number>`count(*)::int`.as('n'), sql<number | null>`extract(epoch from now() - min(created_at))::float8`.as('age')])
    .where('status', '=', 'pending')
    .where('attempt_count', '>=', 0)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n), oldestAgeSeconds: row.age === null ? 0 : Math.max(0, Number(row.age)) };
}

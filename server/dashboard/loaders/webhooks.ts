/**
 * The webhooks page's data in one query: every subscription of the clinic (under live and revoked
 * keys alike) with its key, its delivery count and its latest deliveries with their attempts.
 */
import type { Kysely } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { WebhookDelivery } from '../../../contract';
import type { Database } from '../../db/schema';
import { iso, isoOrNull, toWebhook } from '../../services/serialize';
import type { SubscriptionView } from '../views/webhooks';

/** How many of a subscription's latest deliveries the page shows. */
export const RECENT_DELIVERIES = 10;

/** JSON carries timestamps as text: these are the shapes before they become ISO instants. */
interface DeliveryJson {
  id: string;
  webhook_id: string;
  event_id: string;
  type: string;
  status: string;
  next_attempt_at: string | null;
  created_at: string;
  attempts: Array<{ attempted_at: string; response_status: number | null; latency_ms: number; error: string | null }>;
}

function toDelivery(d: DeliveryJson): WebhookDelivery {
  return {
    id: d.id,
    webhook_id: d.webhook_id,
    event_id: d.event_id,
    event_type: d.type as WebhookDelivery['event_type'],
    status: d.status as WebhookDelivery['status'],
    attempts: d.attempts.map((a) => ({
      attempted_at: iso(a.attempted_at),
      response_status: a.response_status,
      latency_ms: a.latency_ms,
      error: a.error,
    })),
    next_attempt_at: isoOrNull(d.next_attempt_at),
    created_at: iso(d.created_at),
  };
}

export async function loadSubscriptions(db: Kysely<Database>, clinicId: string): Promise<SubscriptionView[]> {
  const rows = await db
    .selectFrom('webhooks as w')
    .innerJoin('api_keys as k', 'k.id', 'w.api_key_id')
    .where('w.clinic_id', '=', clinicId)
    .where('k.clinic_id', '=', clinicId)
    .selectAll('w')
    .select(['k.name as key_name', 'k.prefix as key_prefix', 'k.revoked_at as key_revoked_at'])
    .select((eb) => [
      eb
        .selectFrom('webhook_deliveries as d')
        .whereRef('d.webhook_id', '=', 'w.id')
        .select(eb.fn.countAll<string>().as('total'))
        .as('total_deliveries'),
      jsonArrayFrom(
        eb
          .selectFrom('webhook_deliveries as d')
          .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
          .whereRef('d.webhook_id', '=', 'w.id')
          .select(['d.id', 'd.webhook_id', 'd.event_id', 'e.type', 'd.status', 'd.next_attempt_at', 'd.created_at'])
          .select((inner) =>
            jsonArrayFrom(
              inner
                .selectFrom('webhook_delivery_attempts as a')
                .whereRef('a.delivery_id', '=', 'd.id')
                .select(['a.attempted_at', 'a.response_status', 'a.latency_ms', 'a.error'])
                .orderBy('a.attempted_at'),
            ).as('attempts'),
          )
          .orderBy('d.created_at', 'desc')
          .orderBy('d.id', 'desc')
          .limit(RECENT_DELIVERIES),
      ).as('deliveries'),
    ])
    .orderBy('w.created_at', 'desc')
    .orderBy('w.id', 'desc')
    .execute();
  return rows.map((r) => ({
    webhook: toWebhook(r),
    keyName: r.key_name,
    keyPrefix: r.key_prefix,
    keyRevoked: r.key_revoked_at !== null,
    deliveries: (r.deliveries as unknown as DeliveryJson[]).map(toDelivery),
    totalDeliveries: Number(r.total_deliveries),
  }));
}

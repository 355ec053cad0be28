/** The webhooks page's data: every subscription of the clinic with its key and latest deliveries. */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema';
import { listApiKeys } from '../../services/api-keys';
import { listDeliveries } from '../../services/webhook-deliveries';
import { listWebhooks } from '../../services/webhooks';
import type { SubscriptionView } from '../views/webhooks';

/** How many of a subscription's latest deliveries the page shows. */
export const RECENT_DELIVERIES = 10;

export async function loadSubscriptions(db: Kysely<Database>, clinicId: string): Promise<SubscriptionView[]> {
  const viewer = { clinicId };
  const subscriptions: SubscriptionView[] = [];
  // Subscriptions belong to the key that made them: gather them key by key, revoked keys too.
  for (const key of await listApiKeys(db, clinicId)) {
    for (const webhook of await listWebhooks(db, { clinicId, keyId: key.id })) {
      const deliveries = await listDeliveries(db, viewer, webhook.id, { page: 1, per_page: RECENT_DELIVERIES });
      subscriptions.push({
        webhook,
        keyName: key.name,
        keyPrefix: key.prefix,
        keyRevoked: key.revoked_at !== null,
        deliveries: deliveries.data,
        totalDeliveries: deliveries.meta.total,
      });
    }
  }
  subscriptions.sort((a, b) => b.webhook.created_at.localeCompare(a.webhook.created_at));
  return subscriptions;
}

/** Webhooks: every subscription of the clinic with its recent deliveries; redelivery, delete and re-enable. */
import { z } from 'zod';
import type { ServerDeps } from '../../context';
import { ApiError } from '../../errors';
import { redeliver } from '../../services/webhook-deliveries';
import { deleteClinicWebhook, enableClinicWebhook } from '../../services/webhooks';
import { loadSubscriptions } from '../loaders/webhooks';
import type { Flash } from '../views/layout';
import { webhooksPage } from '../views/webhooks';
import { render, Uuid, type DashboardApp } from './common';

const DeliveryId = z.string().regex(/^msg_[0-9a-f]{32}$/);
const WEBHOOK_FLASH: Record<string, string> = {
  redelivered: 'Redelivery queued: the event is being sent again.',
  deleted: 'The subscription was deleted: nothing more is sent to it.',
  enabled: 'The subscription was re-enabled: new events are delivered to it again.',
};

export function registerWebhookPages(dash: DashboardApp, { database: { db }, config }: ServerDeps): void {
  dash.get('/webhooks', async (c) => {
    const session = c.var.session;
    const subscriptions = await loadSubscriptions(db, session.clinicId);
    const text = WEBHOOK_FLASH[c.req.query('done') ?? ''];
    const flash: Flash | undefined = text ? { kind: 'ok', text } : undefined;
    return render(c, webhooksPage(session, subscriptions, flash));
  });

  // Delete or re-enable any subscription of the clinic (an API key sees only its own).
  dash.post('/webhooks/:id/:action{delete|enable}', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    if (!id.success) throw new ApiError(404, 'not_found', 'Webhook not found');
    const action = c.req.param('action');
    if (action === 'delete') await deleteClinicWebhook(db, c.var.session.clinicId, id.data);
    else await enableClinicWebhook(db, c.var.session.clinicId, id.data, config);
    return c.redirect(`/dashboard/webhooks?done=${action === 'delete' ? 'deleted' : 'enabled'}`, 303);
  });

  dash.post('/webhooks/:id/deliveries/:deliveryId/redeliver', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    const deliveryId = DeliveryId.safeParse(c.req.param('deliveryId'));
    if (!id.success || !deliveryId.success) throw new ApiError(404, 'not_found', 'Delivery not found');
    await redeliver(db, { clinicId: c.var.session.clinicId }, id.data, deliveryId.data, config);
    return c.redirect('/dashboard/webhooks?done=redelivered', 303);
  });
}

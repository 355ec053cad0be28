/** Webhooks: every subscription of the clinic with its recent deliveries, and redelivery. */
import { z } from 'zod';
import type { ServerDeps } from '../../context';
import { ApiError } from '../../errors';
import { redeliver } from '../../services/webhook-deliveries';
import { loadSubscriptions } from '../loaders/webhooks';
import type { Flash } from '../views/layout';
import { webhooksPage } from '../views/webhooks';
import { render, Uuid, type DashboardApp } from './common';

const DeliveryId = z.string().regex(/^msg_[0-9a-f]{32}$/);

export function registerWebhookPages(dash: DashboardApp, { database: { db } }: ServerDeps): void {
  dash.get('/webhooks', async (c) => {
    const session = c.var.session;
    const subscriptions = await loadSubscriptions(db, session.clinicId);
    const flash: Flash | undefined =
      c.req.query('done') === 'redelivered' ? { kind: 'ok', text: 'Redelivery queued: the event is being sent again.' } : undefined;
    return render(c, webhooksPage(session, subscriptions, flash));
  });

  dash.post('/webhooks/:id/deliveries/:deliveryId/redeliver', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    const deliveryId = DeliveryId.safeParse(c.req.param('deliveryId'));
    if (!id.success || !deliveryId.success) throw new ApiError(404, 'not_found', 'Delivery not found');
    await redeliver(db, { clinicId: c.var.session.clinicId }, id.data, deliveryId.data);
    return c.redirect('/dashboard/webhooks?done=redelivered', 303);
  });
}

import { z } from 'zod';
import { PaginationQuery, WebhookDelivery, listOf } from '../../contract';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { apiRoute, json } from '../http/route';
import { limitReached } from './webhooks';
import { listDeliveries, redeliver } from '../services/webhook-deliveries';

const tags = ['Webhooks'];
const DeliveryList = listOf(WebhookDelivery, 'WebhookDeliveryList');

const list = apiRoute({
  method: 'get',
  path: '/api/v1/webhooks/{id}/deliveries',
  tags,
  operationId: 'listWebhookDeliveries',
  summary: "A subscription's deliveries, each with every attempt",
  description: 'Newest first. Each attempt records its time, the response status (null when no response), latency and error.',
  scope: 'webhooks:write',
  request: { params: z.object({ id: z.uuid() }), query: PaginationQuery },
  responses: { 200: json(DeliveryList, 'A page of deliveries') },
  errors: [404],
});

const retry = apiRoute({
  method: 'post',
  path: '/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver',
  tags,
  operationId: 'redeliverWebhook',
  summary: 'Send a delivery again now',
  description:
    'Queues one more attempt of the same delivery now: same webhook-id and body, fresh timestamp and signature. Its retry schedule starts over, replacing any retry still scheduled. A subscription that was disabled after failing for days is re-enabled, unless that would pass the subscription caps (409 limit_reached: delete unused subscriptions first).',
  scope: 'webhooks:write',
  request: { params: z.object({ id: z.uuid(), delivery_id: z.string().regex(/^msg_[0-9a-f]{32}$/) }) },
  responses: {
    202: json(WebhookDelivery, 'The delivery, queued'),
    409: limitReached('re-enabling this disabled subscription would pass a subscription cap'),
  },
  errors: [404],
});

export function registerWebhookDeliveryRoutes(app: ApiApp, { database: { db }, config }: ServerDeps): void {
  app.openapi(list, async (c) => {
    const { clinicId, keyId } = c.var.auth;
    return c.json(await listDeliveries(db, { clinicId, keyId }, c.req.valid('param').id, c.req.valid('query')), 200);
  });
  app.openapi(retry, async (c) => {
    const { clinicId, keyId } = c.var.auth;
    const { id, delivery_id } = c.req.valid('param');
    return c.json(await redeliver(db, { clinicId, keyId }, id, delivery_id, config), 202);
  });
}

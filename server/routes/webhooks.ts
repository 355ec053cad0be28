import { z } from 'zod';
import { IdParam, Webhook, WebhookCreate, WebhookCreated } from '../../contract';
import type { ApiApp } from '../app';
import type { ServerDeps } from '../context';
import { apiRoute, json, jsonBody } from '../http/route';
import { createWebhook, deleteWebhook, listWebhooks } from '../services/webhooks';

const tags = ['Webhooks'];
const WebhookList = z.object({ data: z.array(Webhook) }).meta({ id: 'WebhookList' });

const list = apiRoute({
  method: 'get',
  path: '/api/v1/webhooks',
  tags,
  operationId: 'listWebhooks',
  summary: 'List the webhook endpoints created by the calling API key',
  scope: 'webhooks:write',
  responses: { 200: json(WebhookList, "The calling key's subscriptions, newest first") },
});

const create = apiRoute({
  method: 'post',
  path: '/api/v1/webhooks',
  tags,
  operationId: 'createWebhook',
  summary: 'Create a webhook endpoint',
  description:
    'The response carries `signingSecret` once: keep it to verify deliveries (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` headers; also `X-QualifyBase-Delivery`, `X-QualifyBase-Timestamp`, `X-QualifyBase-Signature`, `X-QualifyBase-Event`). The URL must be public https.',
  scope: 'webhooks:write',
  request: { body: jsonBody(WebhookCreate) },
  responses: { 201: json(WebhookCreated, 'The subscription and its signing secret') },
  errors: [413],
});

const remove = apiRoute({
  method: 'delete',
  path: '/api/v1/webhooks/{id}',
  tags,
  operationId: 'deleteWebhook',
  summary: 'Delete a webhook endpoint owned by the calling API key',
  scope: 'webhooks:write',
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' } },
  errors: [404],
});

export function registerWebhookRoutes(app: ApiApp, { database: { db }, config }: ServerDeps): void {
  const owner = (auth: { clinicId: string; keyId: string }) => ({ clinicId: auth.clinicId, keyId: auth.keyId });
  app.openapi(list, async (c) => c.json({ data: await listWebhooks(db, owner(c.var.auth)) }, 200));
  app.openapi(create, async (c) => c.json(await createWebhook(db, owner(c.var.auth), c.req.valid('json'), config.devTools), 201));
  app.openapi(remove, async (c) => {
    await deleteWebhook(db, owner(c.var.auth), c.req.valid('param').id);
    return c.body(null, 204);
  });
}

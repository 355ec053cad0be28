import { ErrorBody, IdParam, listOf, Webhook, WebhookCreate, WebhookCreated, WebhookListQuery } from '../../contract';
import type { ServerConfig } from '../config';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { apiRoute, json, jsonBody } from '../http/route';
import { createWebhook, deleteWebhook, listWebhookPage } from '../services/webhooks';

const tags = ['Webhooks'];
const WebhookList = listOf(Webhook, 'WebhookList');

const list = apiRoute({
  method: 'get',
  path: '/api/v1/webhooks',
  tags,
  operationId: 'listWebhooks',
  summary: 'List the webhook endpoints created by the calling API key',
  description:
    "Newest first. Only the subscriptions the calling key created: another key's, even of the same clinic, are not listed. The signing secret is never listed. There is no read scope for webhooks, so listing needs the write scope.",
  scope: 'webhooks:write',
  request: { query: WebhookListQuery },
  responses: { 200: json(WebhookList, "A page of the calling key's subscriptions") },
});

/** The 409 of an operation that would pass a subscription cap. */
export function limitReached(when: string) {
  return {
    description: `limit_reached: ${when}; the message names the cap. Delete subscriptions that are no longer used, then try again.`,
    content: { 'application/json': { schema: ErrorBody } },
  };
}

function portsText(ports: readonly number[]): string {
  return ports.length === 1 ? `port ${ports[0]}` : `ports ${ports.slice(0, -1).join(', ')} or ${ports[ports.length - 1]}`;
}

/** The create operation, documented with this server's caps and ports. */
const createOperation = (config: ServerConfig) =>
  apiRoute({
    method: 'post',
    path: '/api/v1/webhooks',
    tags,
    operationId: 'createWebhook',
    summary: 'Create a webhook endpoint',
    description: `The response carries \`signingSecret\` once: keep it to verify deliveries (Standard Webhooks: \`webhook-id\`, \`webhook-timestamp\`, \`webhook-signature\` headers; also \`X-QualifyBase-Delivery\`, \`X-QualifyBase-Timestamp\`, \`X-QualifyBase-Signature\`, \`X-QualifyBase-Event\`). The URL must be https on ${portsText(config.webhookAllowedPorts)}, and its host must not be, or resolve to, a private, loopback, link-local, CGNAT, multicast or unspecified address (IPv4 or IPv6, including IPv4-mapped and numeric forms); it is checked again at delivery time. Otherwise 400 invalid_input. (A development server, with dev tools on, also accepts http and local receivers on any port.) At most ${config.webhooksPerKey} active subscriptions per API key and ${config.webhooksPerClinic} per clinic (all its keys together; disabled ones do not count): beyond either, 409 limit_reached.`,
    scope: 'webhooks:write',
    request: { body: jsonBody(WebhookCreate) },
    responses: {
      201: json(WebhookCreated, 'The subscription and its signing secret'),
      409: limitReached('the calling key or its clinic has as many active subscriptions as it may'),
    },
    errors: [413],
  });

const remove = apiRoute({
  method: 'delete',
  path: '/api/v1/webhooks/{id}',
  tags,
  operationId: 'deleteWebhook',
  summary: 'Delete a webhook endpoint owned by the calling API key',
  description: "Answers 204 No Content. Another key's or another clinic's subscription is 404 not_found.",
  scope: 'webhooks:write',
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' } },
  errors: [404],
});

export function registerWebhookRoutes(app: ApiApp, { database: { db }, config }: ServerDeps): void {
  const owner = (auth: { clinicId: string; keyId: string }) => ({ clinicId: auth.clinicId, keyId: auth.keyId });
  const settings = {
    allowPrivate: config.allowPrivateWebhooks,
    allowedPorts: config.webhookAllowedPorts,
    webhooksPerKey: config.webhooksPerKey,
    webhooksPerClinic: config.webhooksPerClinic,
  };
  app.openapi(list, async (c) => c.json(await listWebhookPage(db, owner(c.var.auth), c.req.valid('query')), 200));
  app.openapi(createOperation(config), async (c) => c.json(await createWebhook(db, owner(c.var.auth), c.req.valid('json'), settings), 201));
  app.openapi(remove, async (c) => {
    await deleteWebhook(db, owner(c.var.auth), c.req.valid('param').id);
    return c.body(null, 204);
  });
}

/** GET /api/v1/openapi.json: generated from the same zod schemas that validate requests. */
import { DEFAULT_PORT } from '../config';
import type { ApiApp } from '../http/api-app';
import { RESPONSE_HEADERS } from '../http/route';
import { EVENTS_TAG, registerEventWebhooks } from './openapi-webhooks';

export const OPENAPI_INFO = {
  title: 'QualifyBase API',
  version: '1.0.0',
  license: { name: 'Proprietary', url: 'https://www.qualifybase.com/terms' },
  contact: { name: 'QualifyBase support', url: 'https://www.qualifybase.com/support' },
  description:
    'Programmatic access to leads, availability, appointment booking, outbound campaigns, calendar blocks and webhook events of one clinic. Authenticate with a clinic-scoped API key: `Authorization: Bearer qbk_live_...`. Rate limit: 120 requests per minute per key.',
};

/** Every tag an operation or event uses, in the order a reader meets them. */
export const OPENAPI_TAGS = [
  { name: 'Account', description: 'The clinic and the API key making the request.' },
  { name: 'Leads', description: 'People who asked about treatment: create, update (upsert by email or phone), list and read.' },
  { name: 'Agents', description: "The clinic's AI voice agents, inbound and outbound." },
  { name: 'Availability', description: 'Open booking slots, and calendar blocks that make time unavailable.' },
  { name: 'Appointments', description: 'Book, reschedule, complete and cancel appointments for leads.' },
  { name: 'Campaigns', description: 'Outbound calling campaigns and the contacts their AI agent calls.' },
  { name: 'Webhooks', description: 'Subscriptions to events, their delivery log and redelivery.' },
  { name: EVENTS_TAG, description: 'What QualifyBase sends to a subscribed URL: one signed POST per event.' },
];

export function buildOpenApiDocument(app: ApiApp, serverUrl = 'https://www.qualifybase.com') {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A clinic API key, qbk_live_..., created in the dashboard under Setup → API keys.',
  });
  for (const [name, header] of Object.entries(RESPONSE_HEADERS)) app.openAPIRegistry.registerComponent('headers', name, header);
  registerEventWebhooks(app);
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: OPENAPI_INFO,
    servers: [
      { url: serverUrl, description: 'QualifyBase' },
      {
        url: 'http://127.0.0.1:{port}',
        description: 'The reference server on this machine (`npm start`)',
        variables: { port: { default: String(DEFAULT_PORT), description: 'The PORT it listens on' } },
      },
    ],
    tags: OPENAPI_TAGS,
    security: [{ bearerAuth: [] }],
  });
}

export function registerOpenApiDocument(app: ApiApp): void {
  let cached: unknown;
  app.get('/api/v1/openapi.json', (c) => {
    cached ??= buildOpenApiDocument(app);
    return c.json(cached as object);
  });
}

/** GET /api/v1/openapi.json: generated from the same zod schemas that validate requests. */
import type { ApiApp } from '../http/api-app';

export const OPENAPI_INFO = {
  title: 'QualifyBase API',
  version: '1.0.0',
  license: { name: 'Proprietary', url: 'https://www.qualifybase.com/terms' },
  contact: { name: 'QualifyBase support', url: 'https://www.qualifybase.com/support' },
  description:
    'Programmatic access to leads, availability, appointment booking, outbound campaigns, calendar blocks and webhook events of one clinic. Authenticate with a clinic-scoped API key: `Authorization: Bearer qbk_live_...`. Rate limit: 120 requests per minute per key.',
};

export function buildOpenApiDocument(app: ApiApp, serverUrl = 'https://www.qualifybase.com') {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A clinic API key, qbk_live_..., created in the dashboard under Setup → API keys.',
  });
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: OPENAPI_INFO,
    servers: [{ url: serverUrl, description: 'QualifyBase' }],
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

import { Me } from '../../contract';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { errorResponses, json } from '../http/route';
import { createRoute } from '@hono/zod-openapi';
import { getMe } from '../services/clinics';

const meRoute = createRoute({
  method: 'get',
  path: '/api/v1/me',
  tags: ['Account'],
  operationId: 'getMe',
  summary: 'The authenticated clinic and API key',
  description: 'Validates the API key. The Zapier app uses the clinic name as the connection label. Any valid key may call it.',
  security: [{ bearerAuth: [] }],
  responses: { 200: json(Me, 'The clinic and the key metadata'), ...errorResponses([401, 429, 503]) },
});

export function registerMeRoutes(app: ApiApp, deps: ServerDeps): void {
  app.openapi(meRoute, async (c) => c.json(await getMe(deps.database.db, c.var.auth.keyId), 200));
}

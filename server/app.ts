/** Builds the HTTP application: the public API under /api/v1, dev tools, and error handling. */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv, ServerDeps } from './context';
import { createDashboard } from './dashboard';
import { apiKeyAuth } from './http/auth';
import { ApiError, errorJson, fromDatabaseError } from './http/errors';
import { registerOperationsRoutes, requestMetrics } from './http/operations';
import { responseHeaders } from './http/response-headers';
import { validationHook } from './http/validation';
import { registerApiRoutes } from './routes';
import { registerDevRoutes } from './routes/dev';
import { registerOpenApiDocument } from './routes/openapi';

export type ApiApp = OpenAPIHono<AppEnv>;

export function createApiApp(): ApiApp {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export function createApp(deps: ServerDeps) {
  const app = createApiApp();

  app.use('*', requestMetrics());
  app.use('*', responseHeaders(deps));

  const limitBody = bodyLimit({
    maxSize: deps.config.bodyLimitBytes,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `Request body is over ${deps.config.bodyLimitBytes} bytes`);
    },
  });
  // /api/v1 checks the size after authentication (below), so a 413 carries the RateLimit headers too.
  app.use('*', async (c, next) => (c.req.path.startsWith('/api/v1/') ? next() : limitBody(c, next)));

  // A write may have recorded webhook events: wake the dispatcher once the response is ready.
  app.use('*', async (c, next) => {
    await next();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.res.status < 400) deps.notifyEvents();
  });

  // Everything under /api/v1 needs a key, except the OpenAPI document itself.
  const auth = apiKeyAuth(deps);
  app.use('/api/v1/*', async (c, next) => {
    if (c.req.path === '/api/v1/openapi.json') return next();
    return auth(c, next);
  });
  app.use('/api/v1/*', limitBody);

  registerApiRoutes(app, deps);
  registerOpenApiDocument(app);
  registerOperationsRoutes(app, deps);
  if (deps.config.devTools) registerDevRoutes(app, deps);
  app.route('/dashboard', createDashboard(deps));

  app.notFound((c) => errorJson(c, new ApiError(404, 'not_found', `No route for ${c.req.method} ${c.req.path}`)));

  app.onError((error, c) => {
    if (error instanceof ApiError) return errorJson(c, error);
    if (error instanceof HTTPException) {
      const status = error.status;
      if (status === 413) return errorJson(c, new ApiError(413, 'payload_too_large', error.message));
      if (status >= 400 && status < 500) {
        return errorJson(c, new ApiError(400, 'invalid_input', error.message || 'Malformed request'));
      }
    }
    const mapped = fromDatabaseError(error);
    if (mapped) return errorJson(c, mapped);
    deps.logger.error({ err: error, requestId: c.var.requestId, path: c.req.path }, 'unhandled error');
    return c.json({ error: 'Internal server error', code: 'internal_error' }, 500);
  });

  return app;
}

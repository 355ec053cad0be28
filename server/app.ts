/** Builds the HTTP application: the public API under /api/v1, dev tools, and error handling. */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv, ServerDeps } from './context';
import { createDashboard } from './dashboard';
import { ApiError } from './errors';
import { createApiApp } from './http/api-app';
import { giveAnswerHeadersToHono } from './http/answer-headers';
import { apiKeyAuth } from './http/auth';
import { apiErrorHandler, catchEverything, refusalWhileStopping, routeNotFound } from './http/errors';
import { registerOperationsRoutes, requestMetrics } from './http/operations';
import { PageCache } from './http/page-cache';
import { responseHeaders } from './http/response-headers';
import { registerApiRoutes } from './routes';
import { registerDevRoutes } from './routes/dev';
import { registerOpenApiDocument } from './routes/openapi';

export function createApp(deps: ServerDeps) {
  const app = createApiApp();

  app.use('*', requestMetrics());
  app.use('*', responseHeaders(deps));
  const tooLarge = () => new ApiError(413, 'payload_too_large', `Request body is over ${deps.config.bodyLimitBytes} bytes`);
  const limitAnyBody = bodyLimit({
    maxSize: deps.config.bodyLimitBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  // A GET or HEAD carries no body to limit, and a body with a Content-Length is limited by its
  // header (Node's parser reads exactly that many bytes): only a chunked body is counted as it is
  // read, through a wrapping stream (which costs a fetch Request, so it is kept for that case).
  const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared !== undefined && /^\d{1,15}$/.test(declared) && c.req.header('transfer-encoding') === undefined) {
      if (Number(declared) > deps.config.bodyLimitBytes) throw tooLarge();
      return next();
    }
    return limitAnyBody(c, next);
  };
  // Inside the metrics and the response headers, one middleware (each one more costs every request
  // its own step of Hono's chain): anything thrown becomes a JSON error (catchEverything); a request
  // arriving while the server stops is refused; a body outside /api/v1 is limited here (/api/v1
  // checks the size after authentication, below, so a 413 carries the RateLimit headers too); and
  // a write that may have recorded webhook events wakes the dispatcher once its answer is ready
  // (inside the catch-all: should the wake-up throw, the error is logged and the write, committed
  // and answered by then, keeps its answer; dispatcher-wakeup.test.ts).
  const catchAll = catchEverything(deps.logger);
  app.use('*', async (c, next) => {
    const refusal = refusalWhileStopping(c, deps);
    if (refusal) return refusal;
    return catchAll(c, async () => {
      await (c.req.path.startsWith('/api/v1/') ? next() : limitBody(c, next));
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.res.status < 400 && c.get('queuedDeliveries') !== 0) deps.notifyEvents();
    });
  });

  // Everything under /api/v1 needs a key, except the OpenAPI document itself.
  const auth = apiKeyAuth(deps);
  const pageCache = new PageCache();
  app.use('/api/v1/*', async (c, next) => {
    if (c.req.path === '/api/v1/openapi.json') {
      giveAnswerHeadersToHono(c); // answered with c.json, outside the API's routes
      return limitBody(c, next);
    }
    c.set('pageCache', pageCache);
    c.set('database', deps.database);
    return auth(c, async () => {
      await limitBody(c, next);
    });
  });

  registerApiRoutes(app, deps);
  registerOpenApiDocument(app);
  registerOperationsRoutes(app, deps);
  if (deps.config.devTools) registerDevRoutes(app, deps);
  app.route('/dashboard', createDashboard(deps));

  app.notFound(routeNotFound);
  app.onError(apiErrorHandler(deps.logger));

  return app;
}

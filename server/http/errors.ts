/** The API's error responses: every failure is `{"error", "code", "details"?}` with a 4xx status. */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { ErrorBody } from '../../contract';
import type { AppEnv, ServerDeps } from '../context';
import { ApiError, fromDatabaseError, SHUTDOWN_RETRY_AFTER_SECONDS, serviceUnavailable, temporaryFailure } from '../errors';
import { giveAnswerHeadersToHono } from './answer-headers';
import { policyHeader } from './rate-limit';

export function errorJson(c: Context<AppEnv>, error: ApiError) {
  giveAnswerHeadersToHono(c);
  const body: ErrorBody = { error: error.message, code: error.code };
  if (error.details && error.details.length > 0) body.details = error.details;
  if (error.headers) for (const [k, v] of Object.entries(error.headers)) c.header(k, v);
  return c.json(body, error.status);
}

/**
 * Once the server is shutting down (SIGTERM), an API request that arrives on a connection still
 * open answers 503 with Retry-After and closes the connection, so the client retries elsewhere or
 * after the restart; the requests already running finish. The operations endpoints still answer.
 * The answer, or undefined while the request may run.
 */
export function refusalWhileStopping(c: Context<AppEnv>, deps: ServerDeps): Response | undefined {
  if (!deps.stopping || !/^\/(api\/v1|dev)\//.test(c.req.path)) return undefined;
  c.header('Connection', 'close');
  if (c.req.path.startsWith('/api/v1/')) c.header('RateLimit-Policy', policyHeader(deps.config.rateLimitPerMinute));
  return errorJson(
    c,
    serviceUnavailable(`The server is shutting down: retry in ${SHUTDOWN_RETRY_AFTER_SECONDS} seconds`, SHUTDOWN_RETRY_AFTER_SECONDS),
  );
}

/**
 * Runs `inner` (the rest of the request), giving whatever it throws to the error handler. Hono
 * hands only `Error` instances to the error handler and rethrows anything else: a thrown value, or
 * an error made in another realm (node's own network errors under jest's sandbox). Around
 * everything (app.ts), this gives those to the same handler, so they too become a JSON error (a
 * 503 for a lost database connection) rather than a bare 500.
 */
export function catchEverything(logger: Logger): (c: Context<AppEnv>, inner: () => Promise<unknown>) => Promise<Response | undefined> {
  const handle = apiErrorHandler(logger);
  return async (c, inner) => {
    try {
      await inner();
      return undefined;
    } catch (error) {
      return handle(error as Error, c);
    }
  };
}

/** 404 for any path no route claims. */
export const routeNotFound: NotFoundHandler = (c) =>
  errorJson(c, new ApiError(404, 'not_found', `No route for ${c.req.method} ${c.req.path}`));

/**
 * Domain errors, Hono's own HTTP errors and database input errors become 4xx; a temporary failure
 * (database unreachable, pool exhausted) a 503 with Retry-After; anything else a logged 500.
 */
export function apiErrorHandler(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    if (error instanceof ApiError) return errorJson(c, error);
    if (error instanceof HTTPException) {
      const status = error.status;
      if (status === 413) return errorJson(c, new ApiError(413, 'payload_too_large', error.message));
      if (status >= 400 && status < 500) {
        c.set('refusedForInput', true); // malformed: a body that is not JSON, a bad header
        return errorJson(c, new ApiError(400, 'invalid_input', error.message || 'Malformed request'));
      }
    }
    const mapped = fromDatabaseError(error);
    if (mapped) return errorJson(c, mapped);
    const temporary = temporaryFailure(error);
    if (temporary) {
      logger.warn(
        {
          err: { message: (error as Error).message, code: (error as { code?: unknown }).code },
          requestId: c.var.requestId,
          path: c.req.path,
        },
        'temporary failure: 503',
      );
      return errorJson(c, temporary);
    }
    logger.error({ err: error, requestId: c.var.requestId, path: c.req.path }, 'unhandled error');
    giveAnswerHeadersToHono(c);
    return c.json({ error: 'Internal server error', code: 'internal_error' }, 500);
  };
}

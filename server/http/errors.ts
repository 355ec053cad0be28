/** The API's error responses: every failure is `{"error", "code", "details"?}` with a 4xx status. */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { ErrorBody } from '../../contract';
import type { AppEnv } from '../context';
import { ApiError, fromDatabaseError } from '../errors';

export function errorJson(c: Context, error: ApiError) {
  const body: ErrorBody = { error: error.message, code: error.code };
  if (error.details && error.details.length > 0) body.details = error.details;
  if (error.headers) for (const [k, v] of Object.entries(error.headers)) c.header(k, v);
  return c.json(body, error.status);
}

/** 404 for any path no route claims. */
export const routeNotFound: NotFoundHandler = (c) =>
  errorJson(c, new ApiError(404, 'not_found', `No route for ${c.req.method} ${c.req.path}`));

/** Domain errors, Hono's own HTTP errors and database input errors become 4xx; anything else a logged 500. */
export function apiErrorHandler(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
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
    logger.error({ err: error, requestId: c.var.requestId, path: c.req.path }, 'unhandled error');
    return c.json({ error: 'Internal server error', code: 'internal_error' }, 500);
  };
}

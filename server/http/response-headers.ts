/**
 * What every response carries: an X-Request-Id (the client's when it is a short safe token, else
 * a fresh UUID, so a log line or a header can never carry someone's markup or 7 KB of junk),
 * X-Content-Type-Options: nosniff, Cache-Control: no-store (API answers are per key and must not
 * sit in shared caches), and Strict-Transport-Security when the request came over https.
 * The dashboard sets its own stricter set on top (dashboard/security.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { randomUUID } from 'node:crypto';
import type { AppEnv, ServerDeps } from '../context';
import { requestIsHttps } from './client-address';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's X-Request-Id if it is at most 128 characters of [A-Za-z0-9._:-]; otherwise none. */
export function acceptedRequestId(header: string | undefined): string | undefined {
  return header !== undefined && SAFE_REQUEST_ID.test(header) ? header : undefined;
}

export function responseHeaders(deps: ServerDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = acceptedRequestId(c.req.header('x-request-id')) ?? randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
    if (requestIsHttps(c, deps.config.trustProxy)) c.header('Strict-Transport-Security', 'max-age=31536000');
  };
}

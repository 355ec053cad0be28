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
    // Set before the handler runs, every answer made with c.json/c.body/c.html carries them at no
    // cost; a handler may still replace Cache-Control. Setting a header on a finished answer makes
    // Hono rebuild it as a full fetch Response, so after the handler only an answer that lacks one
    // (a Response built by hand) is completed.
    c.header('X-Request-Id', requestId);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cache-Control', 'no-store');
    const https = requestIsHttps(c, deps.config.trustProxy);
    if (https) c.header('Strict-Transport-Security', 'max-age=31536000');
    await next();
    const headers = c.res.headers;
    if (!headers.has('X-Request-Id')) c.header('X-Request-Id', requestId);
    if (!headers.has('X-Content-Type-Options')) c.header('X-Content-Type-Options', 'nosniff');
    if (!headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
    if (https && !headers.has('Strict-Transport-Security')) c.header('Strict-Transport-Security', 'max-age=31536000');
  };
}

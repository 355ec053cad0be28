/**
 * What every response carries: an X-Request-Id (the client's when it is a short safe token, else
 * a fresh UUID, so a log line or a header can never carry someone's markup or 7 KB of junk),
 * X-Content-Type-Options: nosniff, Cache-Control: no-store (API answers are per key and must not
 * sit in shared caches), and Strict-Transport-Security when the request came over https.
 * The dashboard sets its own stricter set on top (dashboard/security.ts).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { randomUUID } from 'node:crypto';
import type { AnswerHeaderFields, AnswerHeaders, AppEnv, ServerDeps } from '../context';
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
    const fields: AnswerHeaderFields = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-request-id': requestId };
    if (requestIsHttps(c, deps.config.trustProxy)) fields['strict-transport-security'] = 'max-age=31536000';
    // Under /api/v1 they wait as a plain object (answer-headers.ts). Elsewhere they are Hono's before
    // the handler runs: every answer made with c.json/c.body/c.html carries them at no further cost,
    // and a handler may still replace Cache-Control.
    const apiAnswer: AnswerHeaders | undefined = c.req.path.startsWith('/api/v1/')
      ? { fields: { ...fields }, state: 'pending' }
      : undefined;
    if (apiAnswer) c.set('answerHeaders', apiAnswer);
    else for (const name in fields) c.header(name, fields[name as keyof AnswerHeaderFields]);
    await next();
    if (apiAnswer?.state === 'sent') return;
    // Setting a header on a finished answer makes Hono rebuild it as a full fetch Response, so only
    // an answer that lacks one is completed: one made by hand, or under /api/v1 one made without
    // giving Hono the pending headers (then the rate-limit headers too).
    if (apiAnswer?.state === 'pending') {
      apiAnswer.state = 'given';
      completeAnswer(c, apiAnswer.fields);
    } else completeAnswer(c, fields);
  };
}

/** Sets each of `fields` the finished answer lacks. */
function completeAnswer(c: Context<AppEnv>, fields: AnswerHeaderFields): void {
  const headers = c.res.headers;
  for (const name in fields) if (!headers.has(name)) c.header(name, fields[name as keyof AnswerHeaderFields]);
}

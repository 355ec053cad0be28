/** API-key authentication, scope checks and the per-key rate limit, as Hono middleware. */
import type { MiddlewareHandler } from 'hono';
import type { Scope } from '../../contract';
import type { AppEnv, ServerDeps } from '../context';
import { ApiError } from '../errors';
import { hashApiKey } from '../services/api-keys';
import { noteCalendarVersion } from '../services/booking';
import { rateLimitRefusals } from '../metrics';
import { giveAnswerHeadersToHono, setAnswerHeader } from './answer-headers';
import { markRefusal, recordFailedAuth, refuseThrottledAddress } from './auth-throttle';
import { CLINIC_POLICY_NAME, clinicRateLimitHeader, createKeyCounter, policyHeader, rateLimitHeader, type CountedKey } from './rate-limit';

const QUERY_KEY_NAMES = ['api_key', 'apikey', 'key', 'token', 'access_token', 'auth'];

/** Whether the request's query string names a key parameter or carries a key (read without parsing the whole URL). */
function keyInQueryString(url: string): boolean {
  const start = url.indexOf('?');
  if (start < 0) return false;
  const end = url.indexOf('#', start);
  for (const [name, value] of new URLSearchParams(url.slice(start + 1, end < 0 ? undefined : end))) {
    if (QUERY_KEY_NAMES.includes(name.toLowerCase()) || value.startsWith('qbk_')) return true;
  }
  return false;
}

/** Authenticates `Authorization: Bearer qbk_live_...`, then counts the request against the key. */
export function apiKeyAuth(deps: ServerDeps): MiddlewareHandler<AppEnv> {
  const limits = { perKey: deps.config.rateLimitPerMinute, perClinic: deps.config.clinicRateLimitPerMinute };
  const countKeyRequest = createKeyCounter(deps.database, limits, deps.database.kind === 'pglite' ? 1 : 2);
  const keyPolicy = policyHeader(limits.perKey);
  const clinicPolicy = policyHeader(limits.perClinic, CLINIC_POLICY_NAME);
  return async (c, next) => {
    setAnswerHeader(c, 'ratelimit-policy', keyPolicy);
    setAnswerHeader(c, 'x-qualifybase-clinic-ratelimit-policy', clinicPolicy);
    if (keyInQueryString(c.req.url)) {
      throw new ApiError(
        401,
        'unauthorized',
        'API keys are not accepted in the query string. Send the key in the Authorization header: "Authorization: Bearer qbk_live_...", and revoke any key that was exposed in a URL.',
        undefined,
        { 'WWW-Authenticate': 'Bearer realm="qualifybase", error="invalid_request"' },
      );
    }
    const header = c.req.header('authorization');
    if (header) refuseThrottledAddress(c, deps);
    const token = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!token) {
      if (header) recordFailedAuth(c, deps);
      throw new ApiError(
        401,
        'unauthorized',
        header
          ? 'The Authorization header must be "Bearer <API key>"'
          : 'Missing API key: send "Authorization: Bearer <API key>". Create keys in the dashboard under Setup → API keys.',
        undefined,
        { 'WWW-Authenticate': 'Bearer realm="qualifybase"' },
      );
    }
    // Key lookup, rate-limit count and last_used_at: one statement, shared with the requests that
    // arrive at the same time (see createKeyCounter).
    const key = await countKeyRequest(hashApiKey(token));
    if (!key) {
      recordFailedAuth(c, deps);
      throw new ApiError(401, 'unauthorized', 'The API key is invalid or has been revoked', undefined, {
        'WWW-Authenticate': 'Bearer realm="qualifybase", error="invalid_token"',
      });
    }
    const { rate } = key;
    setAnswerHeader(c, 'ratelimit', rateLimitHeader(rate));
    setAnswerHeader(c, 'x-qualifybase-clinic-ratelimit', clinicRateLimitHeader(rate));
    if (!rate.allowed) {
      if (rate.refusedBy === 'clinic') {
        rateLimitRefusals.inc({ limiter: 'clinic' });
        markRefusal(c);
      }
      throw rateLimited(key, limits);
    }
    noteCalendarVersion(key.clinic_id, key.calendar_version);
    c.set('auth', {
      clinicId: key.clinic_id,
      keyId: key.id,
      scopes: key.scopes as Scope[],
      dataVersion: key.data_version,
      calendarVersion: key.calendar_version,
    });
    await next();
  };
}

/** The 429 of a request over its key's budget or its clinic's, saying which and when to retry. */
function rateLimited({ rate }: CountedKey, limits: { perKey: number; perClinic: number }): ApiError {
  const message =
    rate.refusedBy === 'clinic'
      ? `Rate limit of ${limits.perClinic} requests per minute exceeded for this clinic (all its API keys together); retry in ${rate.resetSeconds} s. Spread the clinic's work over time or across fewer integrations.`
      : `Rate limit of ${limits.perKey} requests per minute exceeded for this API key; retry in ${rate.resetSeconds} s`;
  return new ApiError(429, 'rate_limited', message, undefined, { 'Retry-After': String(rate.resetSeconds) });
}

/**
 * `giveHeaders`: hands the pending answer headers to Hono first (answer-headers.ts), for a handler
 * that answers with c.json or c.body; not for one that answers with jsonText.
 */
export function requireScope(scope: Scope, giveHeaders = true): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (giveHeaders) giveAnswerHeadersToHono(c);
    if (!c.get('auth').scopes.includes(scope)) {
      throw new ApiError(403, 'insufficient_scope', `This API key lacks the "${scope}" scope`, [
        { path: '', message: `required scope: ${scope}` },
      ]);
    }
    await next();
  };
}

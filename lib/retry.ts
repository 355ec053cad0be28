/**
 * What Zapier may retry, and when. A `ThrottledError` makes Zapier run the step again after its
 * delay instead of ending the run as Errored (and a Zap whose runs mostly error is paused), so the
 * app throws it for temporary failures (429, 502/503/504, the network), but only for a request
 * that is safe to repeat: a retry of anything else could do the same thing twice.
 *
 * Safe to repeat ("repeatable"): GET, PATCH (it sets fields to values; the same values twice leave
 * the same record) and DELETE (the API answers a repeat as a success), writes that are idempotent
 * by their own fields (the calendar block and lead upserts on external_source + external_id), and
 * writes that carry an Idempotency-Key (lib/idempotency.ts): the API answers their repeat with the
 * first response.
 */
import { randomInt } from 'node:crypto';

import type { ZObject } from 'zapier-platform-core';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The request option that carries the verdict to the afterResponse middleware (lib/errors.ts). */
export interface RetryMarker {
  repeatable: boolean;
}

export function isRepeatable({
  method,
  idempotent,
  idempotencyKey,
}: {
  method: Method;
  idempotent?: boolean;
  idempotencyKey?: string;
}): boolean {
  return method !== 'POST' || idempotent === true || Boolean(idempotencyKey);
}

/** Seconds to wait when the API sends no Retry-After: the rate limit's window, or an outage's guess. */
export const DEFAULT_RATE_LIMIT_DELAY = 60;
export const DEFAULT_OUTAGE_DELAY = 30;

/**
 * The delay plus a random share of it (at least up to 5 s), so Zaps throttled together do not all
 * come back in the same second and meet the limit (or a recovering server) again.
 */
export function withJitter(seconds: number, random: (maxExclusive: number) => number = randomInt): number {
  const base = Math.max(0, Math.ceil(seconds));
  const spread = Math.max(5, Math.ceil(base / 2));
  return base + random(spread + 1);
}

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); null when absent. */
export function retryAfterSeconds(value: string | null | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Network failures node's fetch reports with a system error code (no HTTP answer at all). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The system error code of a request that got no HTTP answer; undefined for any other error. */
export function networkErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, errno, type } = error as Error & { code?: unknown; errno?: unknown; type?: unknown };
  for (const candidate of [code, errno]) {
    if (typeof candidate === 'string' && NETWORK_CODES.has(candidate)) return candidate;
  }
  if (error.name === 'FetchError' && (type === 'request-timeout' || type === 'system'))
    return typeof code === 'string' ? code : 'ETIMEDOUT';
  return undefined;
}

export interface TemporaryFailure {
  /** What went wrong, for the Zap owner: "QualifyBase is temporarily unavailable (HTTP 503)". */
  what: string;
  repeatable: boolean;
  /** Seconds from Retry-After, when the API sent one. */
  retryAfter: number | null;
}

/**
 * The error for a temporary failure: a ThrottledError (Zapier retries the step, with jitter) when
 * the request is safe to repeat, else a plain error that says why nothing was retried.
 */
export function temporaryFailureError(z: ZObject, { what, repeatable, retryAfter }: TemporaryFailure): Error {
  if (repeatable) {
    const delay = withJitter(retryAfter ?? DEFAULT_OUTAGE_DELAY);
    return new z.errors.ThrottledError(
      `${what}. Zapier will retry this step automatically in about ${delay} seconds; nothing needs to be done.`,
      delay,
    );
  }
  return new z.errors.Error(
    `${what}, so this step was not retried automatically: repeating it could do it twice. ` +
      'Check in QualifyBase whether it took effect; if it did not, replay this run (or turn the Zap on again) in a few minutes.',
    'temporarily_unavailable',
    503,
  );
}

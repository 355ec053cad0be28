/**
 * Turns the API's error responses (`{"error", "code", "details": [{"path", "message"}]}`) into
 * the Zapier error that tells the user what to do; temporary failures (429, 502/503/504) into a
 * ThrottledError when the request is safe to repeat (lib/retry.ts).
 */
import type { Bundle, HttpResponse, ZObject } from 'zapier-platform-core';

import { API_KEYS_URL } from './config';
import { DEFAULT_RATE_LIMIT_DELAY, type RetryMarker, retryAfterSeconds, temporaryFailureError, withJitter } from './retry';

interface ApiErrorBody {
  error?: unknown;
  code?: unknown;
  details?: unknown;
}

function errorBody(response: HttpResponse): ApiErrorBody {
  if (response.data && typeof response.data === 'object') return response.data as ApiErrorBody;
  try {
    const parsed: unknown = JSON.parse(response.content);
    return parsed && typeof parsed === 'object' ? (parsed as ApiErrorBody) : {};
  } catch {
    return {};
  }
}

function apiMessage(body: ApiErrorBody, fallback: string): string {
  const text = typeof body.error === 'string' ? body.error.trim() : '';
  return text || fallback;
}

/** "name: must not be empty; phone: must be an E.164 phone number" */
export function formatDetails(details: unknown): string {
  if (!Array.isArray(details)) return '';
  return details
    .filter((d): d is { path?: unknown; message?: unknown } => Boolean(d) && typeof d === 'object')
    .map((d) => {
      const message = typeof d.message === 'string' ? d.message : '';
      const path = typeof d.path === 'string' ? d.path : '';
      return path ? `${path}: ${message}` : message;
    })
    .filter(Boolean)
    .join('; ');
}

function withPeriod(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

interface Failure {
  status: number;
  body: ApiErrorBody;
  code: string | undefined;
  response: HttpResponse;
}

/** Custom (API key) auth has nothing to refresh: RefreshAuthError is for OAuth2/session auth. */
function unauthorized(z: ZObject, { body }: Failure): Error {
  // ExpiredAuthError is Zapier's documented error for credentials the user must replace: it marks
  // the connection as needing a reconnect and emails the user.
  return new z.errors.ExpiredAuthError(
    `Your QualifyBase API key is invalid or has been revoked (${apiMessage(body, 'unauthorized')}). ` +
      `Create a new key in the QualifyBase dashboard under Setup → API keys (${API_KEYS_URL}) and reconnect your QualifyBase account in Zapier.`,
  );
}

function invalidInput(z: ZObject, { status, body, code }: Failure): Error {
  const details = formatDetails(body.details);
  const message = withPeriod(apiMessage(body, 'QualifyBase rejected the request as invalid'));
  return new z.errors.Error(details ? `${message} ${withPeriod(details)}` : message, code ?? 'invalid_input', status);
}

function forbidden(z: ZObject, { status, body, code }: Failure): Error {
  return new z.errors.Error(
    `${withPeriod(apiMessage(body, 'This API key is not allowed to do that'))} ` +
      'The API key connected to Zapier lacks the scope this step needs; create a key with that scope in the QualifyBase dashboard under Setup → API keys and reconnect.',
    code ?? 'insufficient_scope',
    status,
  );
}

function notFound(z: ZObject, { status, body, code }: Failure): Error {
  return new z.errors.Error(
    `${withPeriod(apiMessage(body, 'Not found'))} Check that the record exists and belongs to the clinic of the connected API key.`,
    code ?? 'not_found',
    status,
  );
}

function conflict(z: ZObject, failure: Failure): Error {
  const { status, body, code, response } = failure;
  if (code === 'idempotency_key_in_use') {
    // The first run of this very step is still being answered: retry soon, and get its answer.
    const delay = withJitter(retryAfterSeconds(response.getHeader('retry-after')) ?? 1);
    return new z.errors.ThrottledError(
      `QualifyBase is still finishing an earlier attempt of this step; Zapier will retry it in about ${delay} seconds.`,
      delay,
    );
  }
  const message =
    code === 'slot_unavailable'
      ? `${withPeriod(apiMessage(body, 'That time slot is no longer available'))} Pick another time slot and try again; the Find Available Slot search finds an open one.`
      : withPeriod(apiMessage(body, 'The request conflicts with the current state in QualifyBase'));
  return new z.errors.Error(message, code ?? 'conflict', status);
}

function tooLarge(z: ZObject, { status, body, code }: Failure): Error {
  return new z.errors.Error(withPeriod(apiMessage(body, 'The request is too large for QualifyBase')), code ?? 'payload_too_large', status);
}

function unprocessable(z: ZObject, failure: Failure): Error {
  if (failure.code !== 'idempotency_key_reused') return unexpected(z, failure);
  return new z.errors.Error(
    `${withPeriod(apiMessage(failure.body, 'This Idempotency-Key was already used for a different request'))} ` +
      'QualifyBase refused to run a different request under the key of an earlier one; replay the run, and report this to QualifyBase support if it happens again.',
    failure.code,
    failure.status,
  );
}

/** The API's message names which budget refused (the API key's, or the clinic's for all its keys). */
function rateLimited(z: ZObject, { body, response }: Failure): Error {
  const delay = withJitter(retryAfterSeconds(response.getHeader('retry-after')) ?? DEFAULT_RATE_LIMIT_DELAY);
  const why = apiMessage(body, '');
  return new z.errors.ThrottledError(
    `QualifyBase's rate limit was reached${why ? `: ${withPeriod(why)}` : '.'} Zapier will retry this step automatically in about ${delay} seconds.`,
    delay,
  );
}

/** 502/503/504: QualifyBase (or what is in front of it) is down for now; retried when safe to repeat. */
function unavailable(z: ZObject, { status, response }: Failure): Error {
  return temporaryFailureError(z, {
    what: `QualifyBase is temporarily unavailable (HTTP ${status})`,
    repeatable: (response.request as Partial<RetryMarker> | undefined)?.repeatable === true,
    retryAfter: retryAfterSeconds(response.getHeader('retry-after')),
  });
}

function unexpected(z: ZObject, { status, body, code }: Failure): Error {
  return new z.errors.Error(
    `QualifyBase answered ${status}: ${withPeriod(apiMessage(body, 'unexpected error'))}`,
    code ?? `http_${status}`,
    status,
  );
}

const BY_STATUS: Record<number, (z: ZObject, failure: Failure) => Error> = {
  400: invalidInput,
  401: unauthorized,
  403: forbidden,
  404: notFound,
  409: conflict,
  413: tooLarge,
  422: unprocessable,
  429: rateLimited,
  502: unavailable,
  503: unavailable,
  504: unavailable,
};

/** afterResponse middleware: every 4xx/5xx from the API becomes a clear Zapier error. */
export function handleApiErrors(response: HttpResponse, z: ZObject, _bundle: Bundle): HttpResponse {
  const { status } = response;
  if (status < 400 || response.skipThrowForStatus) return response;
  const body = errorBody(response);
  const failure: Failure = { status, body, code: typeof body.code === 'string' ? body.code : undefined, response };
  throw (BY_STATUS[status] ?? unexpected)(z, failure);
}

/** True for the error handleApiErrors throws for `status` (searches turn a 404 into "nothing found"). */
function isAppErrorWithStatus(error: unknown, status: number): boolean {
  if (!(error instanceof Error) || error.name !== 'AppError') return false;
  try {
    return (JSON.parse(error.message) as { status?: unknown }).status === status;
  } catch {
    return false;
  }
}

export function isNotFound(error: unknown): boolean {
  return isAppErrorWithStatus(error, 404);
}

/** The error handleApiErrors throws on a 401 (the key was revoked or is wrong). */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof Error && error.name === 'ExpiredAuthError';
}

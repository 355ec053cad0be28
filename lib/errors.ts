/**
 * Turns the API's error responses (`{"error", "code", "details": [{"path", "message"}]}`) into
 * the Zapier error that tells the user what to do.
 */
import type { Bundle, HttpResponse, ZObject } from 'zapier-platform-core';

import { API_KEYS_URL } from './config';

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

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); null when absent. */
export function retryAfterSeconds(value: string | null | undefined, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** afterResponse middleware: every 4xx/5xx from the API becomes a clear Zapier error. */
export function handleApiErrors(response: HttpResponse, z: ZObject, _bundle: Bundle): HttpResponse {
  const { status } = response;
  if (status < 400 || response.skipThrowForStatus) return response;

  const body = errorBody(response);
  const code = typeof body.code === 'string' ? body.code : undefined;

  switch (status) {
    case 401:
      // Custom (API key) auth has nothing to refresh: RefreshAuthError is for OAuth2/session
      // auth. ExpiredAuthError is Zapier's documented error for credentials the user must
      // replace: it marks the connection as needing a reconnect and emails the user.
      throw new z.errors.ExpiredAuthError(
        `Your QualifyBase API key is invalid or has been revoked (${apiMessage(body, 'unauthorized')}). ` +
          `Create a new key in the QualifyBase dashboard under Setup → API keys (${API_KEYS_URL}) and reconnect your QualifyBase account in Zapier.`,
      );
    case 400: {
      const details = formatDetails(body.details);
      const message = withPeriod(apiMessage(body, 'QualifyBase rejected the request as invalid'));
      throw new z.errors.Error(details ? `${message} ${withPeriod(details)}` : message, code ?? 'invalid_input', status);
    }
    case 403:
      throw new z.errors.Error(
        `${withPeriod(apiMessage(body, 'This API key is not allowed to do that'))} ` +
          'The API key connected to Zapier lacks the scope this step needs; create a key with that scope in the QualifyBase dashboard under Setup → API keys and reconnect.',
        code ?? 'insufficient_scope',
        status,
      );
    case 404:
      throw new z.errors.Error(
        `${withPeriod(apiMessage(body, 'Not found'))} Check that the record exists and belongs to the clinic of the connected API key.`,
        code ?? 'not_found',
        status,
      );
    case 409:
      throw new z.errors.Error(
        code === 'slot_unavailable'
          ? `${withPeriod(apiMessage(body, 'That time slot is no longer available'))} Pick another time slot and try again; the Find Available Slot search finds an open one.`
          : withPeriod(apiMessage(body, 'The request conflicts with the current state in QualifyBase')),
        code ?? 'conflict',
        status,
      );
    case 413:
      throw new z.errors.Error(
        withPeriod(apiMessage(body, 'The request is too large for QualifyBase')),
        code ?? 'payload_too_large',
        status,
      );
    case 429: {
      const delay = retryAfterSeconds(response.getHeader('retry-after'));
      throw new z.errors.ThrottledError(
        `QualifyBase's rate limit (120 requests per minute per API key) was reached${delay === null ? '' : `; retry in ${delay} seconds`}.`,
        delay ?? undefined,
      );
    }
    default:
      throw new z.errors.Error(
        `QualifyBase answered ${status}: ${withPeriod(apiMessage(body, 'unexpected error'))}`,
        code ?? `http_${status}`,
        status,
      );
  }
}

/** True for the error handleApiErrors throws on a 404 (searches turn it into "nothing found"). */
export function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'AppError') return false;
  try {
    return (JSON.parse(error.message) as { status?: unknown }).status === 404;
  } catch {
    return false;
  }
}

/** The one API client every operation uses. */
import type { ZObject } from 'zapier-platform-core';

import { apiUrl } from './config';
import { idempotencyKey, idempotencyKeyHeader } from './idempotency';
import { isRepeatable, networkErrorCode, type RetryMarker, temporaryFailureError } from './retry';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Params = Record<string, string | number | undefined | null>;

export interface ApiRequest {
  method?: Method;
  path: string;
  params?: Params;
  body?: Record<string, unknown>;
  /** A POST that is idempotent by its own fields (an upsert): repeating it changes nothing. */
  idempotent?: boolean;
  /**
   * The key of the operation making this write: the request then carries an Idempotency-Key
   * derived from it and the request (lib/idempotency.ts), so Zapier's retry of the step replays.
   */
  idempotencyKeyFor?: string;
  /** With idempotencyKeyFor: the record this write replaces (KeyedRequest.after). */
  replacing?: string;
}

/** A 2xx answer's body, and whether it is the API's replay of an earlier write under the same key. */
export interface ApiAnswer<T> {
  data: T;
  replayed: boolean;
}

/** `{"data": [...], "meta": {"page", "per_page", "total"}}` */
export interface ListResponse<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number };
}

function definedParams(params: Params | undefined): Record<string, string> | undefined {
  if (!params) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') out[key] = String(value);
  }
  return out;
}

/** Encodes one path segment (ids come from user input). */
export function segment(value: unknown): string {
  return encodeURIComponent(String(value ?? ''));
}

/**
 * Sends one request to `${QB_HOST}/api/v1${path}`. Authentication and error mapping happen in the
 * app's middleware (lib/middleware.ts, lib/errors.ts), so this returns the parsed body of a 2xx
 * answer (null for 204) and whether it carries `Idempotent-Replayed: true`. A request that gets no
 * answer at all (refused, reset, timed out) is a temporary failure like a 503 (lib/retry.ts).
 */
export async function apiAnswer<T>(z: ZObject, request: ApiRequest): Promise<ApiAnswer<T>> {
  const { method = 'GET', path, params, body, idempotent, idempotencyKeyFor, replacing } = request;
  const key = idempotencyKeyFor
    ? idempotencyKey({ operation: idempotencyKeyFor, method, path, body: body ?? null, after: replacing })
    : undefined;
  const marker: RetryMarker = { repeatable: isRepeatable({ method, idempotent, idempotencyKey: key }) };
  let response: Awaited<ReturnType<typeof z.request<T>>>;
  try {
    response = await z.request<T>({
      url: apiUrl(path),
      method,
      params: definedParams(params),
      ...(key ? { headers: { 'Idempotency-Key': idempotencyKeyHeader(key) } } : {}),
      ...(body === undefined ? {} : { body }),
      ...marker,
    });
  } catch (error) {
    const code = networkErrorCode(error);
    if (!code) throw error;
    throw temporaryFailureError(z, { what: `QualifyBase could not be reached (${code})`, repeatable: marker.repeatable, retryAfter: null });
  }
  const replayed = response.getHeader('idempotent-replayed') === 'true';
  if (response.status === 204 || response.content === '') return { data: null as T, replayed };
  return { data: response.data, replayed };
}

/** apiAnswer's body alone: what every request without an Idempotency-Key needs. */
export async function apiRequest<T>(z: ZObject, request: ApiRequest): Promise<T> {
  return (await apiAnswer<T>(z, request)).data;
}

/** GET of a list endpoint; returns its `data` array. */
export async function apiList<T>(z: ZObject, path: string, params?: Params): Promise<T[]> {
  const page = await apiRequest<ListResponse<T>>(z, { path, params });
  if (!page || !Array.isArray(page.data)) {
    throw new z.errors.Error(`QualifyBase returned an unexpected list response for ${path}.`, 'unexpected_response', 502);
  }
  return page.data;
}

/** Drops undefined, null and empty-string values (optional Zap fields left blank). */
export function compact<T extends Record<string, unknown>>(values: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(values) as [keyof T, T[keyof T]][]) {
    if (value !== undefined && value !== null && value !== '') out[key] = value;
  }
  return out;
}

/** HTTP middleware shared by every request of the app. */
import type { Bundle, HttpRequestOptionsWithUrl, ZObject } from 'zapier-platform-core';

import { apiBase } from './config';

/**
 * beforeRequest: adds `Authorization: Bearer <api_key>` to requests for the QualifyBase API, and
 * only to those. The key never goes into the query string.
 */
export function addBearerToken(request: HttpRequestOptionsWithUrl, _z: ZObject, bundle: Bundle): HttpRequestOptionsWithUrl {
  const key = bundle.authData?.api_key;
  const base = apiBase();
  const isApiRequest = request.url === base || request.url.startsWith(`${base}/`) || request.url.startsWith(`${base}?`);
  if (!isApiRequest) return request;

  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'authorization') delete headers[name];
  }
  if (key) headers.Authorization = `Bearer ${key}`;
  headers.Accept = headers.Accept ?? 'application/json';
  // Let handleApiErrors word 429s (zapier-platform-core would otherwise throw a generic
  // ThrottledError before any afterResponse middleware runs).
  return Object.assign(request, { headers, throwForThrottlingEarly: false });
}

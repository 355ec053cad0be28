/**
 * Where the app sends its requests. Read at request time (not at module load), so tests and the
 * local reference server can point the app elsewhere with QB_HOST.
 */
export const DEFAULT_HOST = 'https://www.qualifybase.com';

/** `${QB_HOST}/api/v1` with any trailing slash of QB_HOST removed. */
export function apiBase(): string {
  const host = (process.env.QB_HOST || DEFAULT_HOST).trim().replace(/\/+$/, '');
  return `${host}/api/v1`;
}

/** An absolute API URL for a path such as `/me`. */
export function apiUrl(path: string): string {
  return `${apiBase()}${path.startsWith('/') ? path : `/${path}`}`;
}

/** Where a user finds (or creates) an API key. */
export const API_KEYS_URL = 'https://www.qualifybase.com/dashboard/setup/api-keys';

/** Page size for sample rows (hook triggers' performList). */
export const SAMPLE_PAGE_SIZE = 25;

/** Page size for the campaign dropdown. */
export const DROPDOWN_PAGE_SIZE = 100;

/**
 * Zapier's throttle for every create and search: at most 100 runs a minute per connection (scope
 * `auth`), one budget shared by all of them (the same configuration without `action` in the scope
 * makes one key), under the API's 120 requests a minute per API key, with room left for the Zap
 * editor's dropdowns, samples and hook subscriptions on the same key. Throttled runs are retried
 * by Zapier (`retry` defaults to true). Each of these operations makes one request a run.
 */
export const API_THROTTLE: { window: number; limit: number; scope: Array<'user' | 'auth' | 'account' | 'action'> } = {
  window: 60,
  limit: 100,
  scope: ['auth'],
};

/**
 * One text for one JSON value, whatever the key order and whitespace it was written with: object
 * keys sorted at every level (by UTF-16 code units), no whitespace, `undefined` members left out.
 * The app derives its Idempotency-Key from it (lib/idempotency.ts) and the server fingerprints a
 * keyed request's body with it (server/http/idempotency.ts), so both read "the same request" alike.
 * No dependencies: the app loads it without loading zod.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The contract test of response headers: a response the server actually sent, checked against the
 * OpenAPI document it serves. Its status must be declared for the operation, and every header a
 * client relies on that it carries must be declared for that status (and exist under
 * components/headers), so an undeclared header fails the test that saw it.
 */
import type { ApiResponse } from './server';

/** The headers clients rely on: the rate limit, retries, authentication, replays and the request id. */
export const CONTRACT_HEADERS = ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'WWW-Authenticate', 'Idempotent-Replayed', 'X-Request-Id'];

/** Fails unless `res`, an answer to `method template`, is a declared status carrying only declared contract headers. */
export function expectHeadersDeclared(doc: any, method: string, template: string, res: Pick<ApiResponse, 'status' | 'headers'>): void {
  const operation = doc.paths?.[template]?.[method.toLowerCase()];
  const where = `${method.toUpperCase()} ${template} ${res.status}`;
  expect({ where, operation: operation !== undefined }).toEqual({ where, operation: true });
  const response = operation.responses[String(res.status)];
  expect({ where, declared: response !== undefined }).toEqual({ where, declared: true });
  const declared = Object.entries<{ $ref?: string }>(response.headers ?? {}).flatMap(([name, header]) =>
    header.$ref && doc.components?.headers?.[header.$ref.replace('#/components/headers/', '')] === undefined ? [] : [name.toLowerCase()],
  );
  const sent = CONTRACT_HEADERS.filter((name) => res.headers.has(name));
  expect({ where, undeclared: sent.filter((name) => !declared.includes(name.toLowerCase())) }).toEqual({ where, undeclared: [] });
}

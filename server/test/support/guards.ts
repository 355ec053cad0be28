/**
 * The failures every authenticated endpoint shares: 401 without a key or with an unknown one, and
 * 403 insufficient_scope for a key that has every scope except the one the endpoint needs.
 */
import { ErrorBody, SCOPES, type Scope } from '../../../contract';
import { createApiKey } from '../../services/api-keys';
import { tableCounts } from './db-counts';
import { rawRequest, type ApiClient, type TestServer } from './server';

/** A new key of the clinic with exactly `scopes`. */
export async function clientWithScopes(srv: TestServer, clinicId: string, scopes: readonly Scope[], name = 'scoped'): Promise<ApiClient> {
  const { key } = await createApiKey(srv.running.deps.database.db, clinicId, name, scopes);
  return srv.client(key);
}

export interface GuardedCall {
  method: string;
  path: string;
  body?: unknown;
  scope: Scope;
}

/** Checks 401 (missing key, unknown key) and 403 (every scope but `scope`), and that none of them wrote anything. */
export async function expectGuarded(srv: TestServer, clinicId: string, call: GuardedCall): Promise<void> {
  const before = await tableCounts(srv.running.deps.database);

  const missing = await rawRequest(srv.url, call.method, call.path, call.body);
  expect({ status: missing.status, code: missing.body?.code }).toEqual({ status: 401, code: 'unauthorized' });
  ErrorBody.parse(missing.body);

  const unknown = await srv.client(`qbk_live_${'x'.repeat(32)}`).request(call.method, call.path, call.body);
  expect({ status: unknown.status, code: unknown.body?.code }).toEqual({ status: 401, code: 'unauthorized' });

  const lacking = await clientWithScopes(
    srv,
    clinicId,
    SCOPES.filter((s) => s !== call.scope),
    `lacks ${call.scope}`,
  );
  const forbidden = await lacking.request(call.method, call.path, call.body);
  expect({ status: forbidden.status, code: forbidden.body?.code }).toEqual({ status: 403, code: 'insufficient_scope' });
  expect(forbidden.body.error).toContain(call.scope);

  // The only row these calls may add is the key created just above.
  const after = await tableCounts(srv.running.deps.database);
  expect(after).toEqual({ ...before, api_keys: before.api_keys! + 1 });
}

/** The OpenAPI document's operation for `method path`, as served by the running server. */
export async function openApiOperation(srv: TestServer, method: string, path: string): Promise<any> {
  const doc = (await rawRequest(srv.url, 'GET', '/api/v1/openapi.json')).body;
  return doc.paths?.[path]?.[method.toLowerCase()];
}

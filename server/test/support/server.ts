/**
 * A real reference server on a loopback port, on the chosen backend, for server and e2e tests.
 * `clinic()` makes a fresh clinic through the dev tools and returns a client bound to its key.
 */
import pino from 'pino';
import type { ServerConfig } from '../../config';
import type { NewClinic } from '../../services/clinics';
import { startServer, type RunningServer } from '../../server';
import { openTestDatabase, type Backend } from './databases';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClient {
  key: string;
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  get<T = any>(path: string): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  delete<T = any>(path: string): Promise<ApiResponse<T>>;
}

export interface TestClinic extends NewClinic {
  api: ApiClient;
}

export interface TestServer {
  url: string;
  running: RunningServer;
  clinic(name?: string, timezone?: string): Promise<TestClinic>;
  client(key: string): ApiClient;
  close(): Promise<void>;
}

export async function rawRequest(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url + path, init);
  } catch (error) {
    // A pooled keep-alive socket can be closed by the peer just as it is reused; like any HTTP
    // client, retry an idempotent GET once on a fresh connection.
    if (method !== 'GET') throw error;
    res = await fetch(url + path, init);
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text, the test decides
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export function apiClient(url: string, key: string): ApiClient {
  const auth = { authorization: `Bearer ${key}` };
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    rawRequest(url, method, path, body, { ...auth, ...headers });
  return {
    key,
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body ?? {}),
    patch: (path, body) => request('PATCH', path, body ?? {}),
    delete: (path) => request('DELETE', path),
  };
}

export async function startTestServer(backend: Backend, config: Partial<ServerConfig> = {}): Promise<TestServer> {
  const database = await openTestDatabase(backend);
  const running = await startServer({
    database,
    // The switches the tests need: dev tools (POST /dev/clinics), local webhook receivers, and a
    // failed-auth budget that tests of 401s never exhaust (the throttle's own test sets it low).
    config: { port: 0, host: '127.0.0.1', devTools: true, allowPrivateWebhooks: true, failedAuthPerMinute: 100_000, ...config },
    logger: pino({ level: process.env.QB_TEST_LOG ?? 'silent' }),
    seedDemo: false,
  });
  return {
    url: running.url,
    running,
    client: (key) => apiClient(running.url, key),
    async clinic(name = 'Test Clinic', timezone = 'America/New_York') {
      const res = await rawRequest(running.url, 'POST', '/dev/clinics', { name, timezone });
      if (res.status !== 201) throw new Error(`POST /dev/clinics answered ${res.status}: ${JSON.stringify(res.body)}`);
      const created = res.body as NewClinic;
      return { ...created, api: apiClient(running.url, created.api_key) };
    },
    async close() {
      await running.close();
      await database.close();
    },
  };
}

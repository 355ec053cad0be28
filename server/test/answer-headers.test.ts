/**
 * Every header of the answers whose headers http/answer-headers.ts makes (issue 20, round 13): the
 * API's answers as a plain object (the uncached list, a page-cache hit, a booking) and those that
 * give them to Hono first (c.json, errors, Idempotency-Key replays, 429, 413, OpenAPI), plus the
 * answers outside /api/v1 that still get them from Hono before the handler (operations, the
 * dashboard). Read from the socket (node:http's rawHeaders, names as sent), with the date and the
 * counters of the rate-limit headers masked: each answer must carry exactly these names and values.
 */
import http from 'node:http';
import { freshClient, futureMonday, slotsOfDay } from './support/booking';
import { backends } from './support/databases';
import { startTestServer, type TestServer } from './support/server';

interface Wire {
  status: number;
  /** `name: value` as sent, sorted; Date and the rate-limit counters masked. */
  fields: string[];
}

/** The value compared: the date, the rate-limit counters, Retry-After and the body's length vary. */
function mask(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'date' || lower === 'retry-after' || lower === 'content-length') return '*';
  return value.replace(/;r=\d+;t=\d+$/, ';r=*;t=*');
}

function wire(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Wire> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method, headers: { 'x-request-id': 'answer-headers-test', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => {
        const fields: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          fields.push(`${res.rawHeaders[i]}: ${mask(res.rawHeaders[i]!, res.rawHeaders[i + 1]!)}`);
        resolve({ status: res.statusCode!, fields: fields.sort() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers every authenticated API answer carries (Content-Length apart). */
const API = [
  'Connection: keep-alive',
  'Date: *',
  'Keep-Alive: timeout=65',
  'cache-control: no-store',
  'ratelimit-policy: "default";q=120;w=60',
  'ratelimit: "default";r=*;t=*',
  'x-content-type-options: nosniff',
  'x-qualifybase-clinic-ratelimit-policy: "clinic";q=600;w=60',
  'x-qualifybase-clinic-ratelimit: "clinic";r=*;t=*',
  'x-request-id: answer-headers-test',
];
const JSON_TYPE = 'content-type: application/json';
/** The length as node-server names it for a body. */
const LENGTH = 'Content-Length: *';
const sorted = (...fields: string[]) => [...fields].sort();

describe.each(backends())('answer headers on %s', (backend) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false, clinicRateLimitPerMinute: 600 });
  });
  afterAll(() => srv.close());

  it('sends every header of the API answers, plain or through Hono, on the wire', async () => {
    const clinic = await srv.clinic('Answer Headers Clinic');
    const api = await freshClient(srv, clinic.clinic.id);
    const auth = { authorization: `Bearer ${api.key}` };
    const lead = (await api.post('/api/v1/leads', { email: 'answer-headers@example.com' })).body;
    const [slot, other] = await slotsOfDay(api, futureMonday(5));
    const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      wire(
        srv.url,
        method,
        path,
        { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body === undefined ? undefined : JSON.stringify(body),
      );

    const answers: Record<string, Wire> = {
      booked: await send('POST', '/api/v1/appointments', { lead_id: lead.id, ...slot! }),
      listed: await send('GET', '/api/v1/appointments?per_page=5'),
      listedAgain: await send('GET', '/api/v1/appointments?per_page=5'),
      head: await send('HEAD', '/api/v1/appointments?per_page=5'),
      leads: await send('GET', '/api/v1/leads'),
      keyed: await send('POST', '/api/v1/appointments', { lead_id: lead.id, ...other! }, { 'idempotency-key': 'answer-headers' }),
      replayed: await send('POST', '/api/v1/appointments', { lead_id: lead.id, ...other! }, { 'idempotency-key': 'answer-headers' }),
      invalid: await send('GET', '/api/v1/appointments?per_page=zero'),
      taken: await send('POST', '/api/v1/appointments', { lead_id: lead.id, ...slot! }),
      unknown: await send('GET', '/api/v1/nothing-here'),
    };
    const expected: Record<string, [number, string[]]> = {
      booked: [201, sorted(...API, LENGTH, JSON_TYPE)],
      listed: [200, sorted(...API, LENGTH, JSON_TYPE)],
      listedAgain: [200, sorted(...API, LENGTH, JSON_TYPE)],
      head: [200, sorted(...API, JSON_TYPE)],
      leads: [200, sorted(...API, LENGTH, JSON_TYPE)],
      keyed: [201, sorted(...API, JSON_TYPE, 'content-length: *')], // kept: read back as a fetch Response, which names its length
      replayed: [201, sorted(...API, LENGTH, JSON_TYPE, 'idempotent-replayed: true')],
      invalid: [400, sorted(...API, LENGTH, JSON_TYPE)],
      taken: [409, sorted(...API, LENGTH, JSON_TYPE)],
      unknown: [404, sorted(...API, LENGTH, JSON_TYPE)],
    };
    const seen = Object.fromEntries(Object.entries(answers).map(([name, w]) => [name, [w.status, w.fields]]));
    expect(seen).toEqual(expected);
  });

  it('sends every header of refusals before and at the key check, and outside the API', async () => {
    const answers: Record<string, Wire> = {
      noKey: await wire(srv.url, 'GET', '/api/v1/appointments'),
      badKey: await wire(srv.url, 'GET', '/api/v1/appointments', { authorization: 'Bearer qbk_live_nope' }),
      openapi: await wire(srv.url, 'GET', '/api/v1/openapi.json'),
      health: await wire(srv.url, 'GET', '/healthz'),
    };
    const policies = ['ratelimit-policy: "default";q=120;w=60', 'x-qualifybase-clinic-ratelimit-policy: "clinic";q=600;w=60'];
    const base = [
      'Connection: keep-alive',
      'Date: *',
      'Keep-Alive: timeout=65',
      'cache-control: no-store',
      'x-content-type-options: nosniff',
      'x-request-id: answer-headers-test',
    ];
    const seen = Object.fromEntries(Object.entries(answers).map(([name, w]) => [name, [w.status, w.fields]]));
    expect(seen).toEqual({
      noKey: [401, sorted(...base, LENGTH, ...policies, JSON_TYPE, 'www-authenticate: Bearer realm="qualifybase"')],
      badKey: [401, sorted(...base, LENGTH, ...policies, JSON_TYPE, 'www-authenticate: Bearer realm="qualifybase", error="invalid_token"')],
      openapi: [200, sorted(...base, LENGTH, JSON_TYPE)],
      health: [200, sorted(...base, LENGTH, JSON_TYPE)],
    });
  });
});

describe.each(backends())('answer headers at the limits on %s', (backend) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false, rateLimitPerMinute: 3, bodyLimitBytes: 200, trustProxy: true });
  });
  afterAll(() => srv.close());

  it('sends every header of a 413, an answer behind an https proxy and a 429', async () => {
    const clinic = await srv.clinic('Answer Headers Limits');
    const auth = { authorization: `Bearer ${clinic.api_key}`, 'content-type': 'application/json' };
    const tooLarge = await wire(srv.url, 'POST', '/api/v1/appointments', auth, JSON.stringify({ notes: 'x'.repeat(300) }));
    const https = await wire(srv.url, 'GET', '/api/v1/appointments', { ...auth, 'x-forwarded-proto': 'https' });
    await wire(srv.url, 'GET', '/api/v1/appointments', auth);
    const refused = await wire(srv.url, 'GET', '/api/v1/appointments', auth);
    const api = API.map((f) => f.replace('q=120', 'q=3'));
    expect([https.status, https.fields]).toEqual([200, sorted(...api, LENGTH, JSON_TYPE, 'strict-transport-security: max-age=31536000')]);
    expect([tooLarge.status, tooLarge.fields]).toEqual([413, sorted(...api, LENGTH, JSON_TYPE)]);
    expect([refused.status, refused.fields]).toEqual([429, sorted(...api, LENGTH, JSON_TYPE, 'retry-after: *')]);
  });
});

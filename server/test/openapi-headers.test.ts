/**
 * The OpenAPI document declares the response headers clients rely on (RateLimit, RateLimit-Policy,
 * Retry-After, WWW-Authenticate, Idempotent-Replayed, X-Request-Id) and the Idempotency-Key request
 * header. Checked two ways, on both backends: every operation's declarations, and an outside
 * contract test: real answers of every operation (successes, refusals, replays, 429s) whose
 * statuses and contract headers must all be declared (support/declared-headers.ts; the 503s are
 * checked where they are caused, test/outage.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { freshClient, futureMonday, slotsOfDay } from './support/booking';
import { backends } from './support/databases';
import { expectHeadersDeclared } from './support/declared-headers';
import { clientWithScopes } from './support/guards';
import { rawRequest, startTestServer, type ApiClient, type ApiResponse, type TestServer } from './support/server';

const IDEMPOTENT = [
  'post /api/v1/leads',
  'patch /api/v1/leads/{id}',
  'post /api/v1/appointments',
  'patch /api/v1/appointments/{id}',
  'post /api/v1/campaigns/{id}/contacts',
];

/** Every operation of the document as `method template`. */
const operationsOf = (doc: any): string[] =>
  Object.entries<Record<string, unknown>>(doc.paths).flatMap(([template, item]) => Object.keys(item).map((m) => `${m} ${template}`));

const headersOf = (doc: any, operation: string, status: string): string[] => {
  const [method, template] = operation.split(' ');
  return Object.keys(doc.paths[template!][method!].responses[status]?.headers ?? {});
};

describe.each(backends())('declared response headers on %s', (backend) => {
  let srv: TestServer;
  let doc: any;
  /** Every answer seen, with the operation it answered. */
  const seen: Array<{ operation: string; res: ApiResponse }> = [];

  async function call(api: ApiClient | undefined, operation: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const [method] = operation.split(' ');
    const res = api
      ? await api.request(method!.toUpperCase(), path, body, headers)
      : await rawRequest(srv.url, method!.toUpperCase(), path, body, headers);
    seen.push({ operation, res });
    return res;
  }

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    doc = (await rawRequest(srv.url, 'GET', '/api/v1/openapi.json')).body;
  });
  afterAll(() => srv.close());

  it('declares the contract headers on every response of every operation, and Idempotency-Key where it is honoured', () => {
    for (const operation of operationsOf(doc)) {
      const [method, template] = operation.split(' ');
      const op = doc.paths[template!][method!];
      for (const status of Object.keys(op.responses)) {
        const names = headersOf(doc, operation, status);
        const where = `${operation} ${status}`;
        expect({ where, names }).toEqual({ where, names: expect.arrayContaining(['RateLimit-Policy', 'RateLimit', 'X-Request-Id']) });
        if (['429', '503'].includes(status)) expect({ where, names }).toEqual({ where, names: expect.arrayContaining(['Retry-After']) });
        if (status === '401') expect({ where, names }).toEqual({ where, names: expect.arrayContaining(['WWW-Authenticate']) });
      }
      for (const status of ['401', '429', '503'])
        expect({ operation, status, declared: Boolean(op.responses[status]) }).toEqual({ operation, status, declared: true });
      const idempotent = IDEMPOTENT.includes(operation);
      const parameter = (op.parameters ?? []).find((p: { name: string }) => p.name === 'Idempotency-Key');
      expect({ operation, parameter: parameter && { in: parameter.in, required: parameter.required } }).toEqual({
        operation,
        parameter: idempotent ? { in: 'header', required: false } : undefined,
      });
      if (idempotent) {
        expect({ operation, statuses: Object.keys(op.responses) }).toEqual({ operation, statuses: expect.arrayContaining(['409', '422']) });
        expect(headersOf(doc, operation, '409')).toContain('Retry-After');
        for (const status of Object.keys(op.responses).filter((s) => s.startsWith('2')))
          expect(headersOf(doc, operation, status)).toContain('Idempotent-Replayed');
      }
    }
    for (const name of ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'WWW-Authenticate', 'Idempotent-Replayed', 'X-Request-Id']) {
      expect(doc.components.headers[name]).toMatchObject({ description: expect.any(String), schema: expect.any(Object) });
    }
  });

  it('declares the status and every contract header of real answers to every operation', async () => {
    const clinic = await srv.clinic('Headers Clinic');
    const api = await freshClient(srv, clinic.clinic.id);
    const campaign = clinic.campaigns[0]!.id;
    const contact = { name: 'Hedy Lamarr', phone: '+14155550123', interest: 'implants', city: 'Vienna' };
    const hook = (
      await call(api, 'post /api/v1/webhooks', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['lead.created'] })
    ).body;
    const lead = (await call(api, 'post /api/v1/leads', '/api/v1/leads', { email: 'headers@example.com' })).body;
    const [slot, other] = await slotsOfDay(api, futureMonday(5));
    const appointment = (await call(api, 'post /api/v1/appointments', '/api/v1/appointments', { lead_id: lead.id, ...slot! })).body;
    const delivery = (await call(api, 'get /api/v1/webhooks/{id}/deliveries', `/api/v1/webhooks/${hook.id}/deliveries`)).body.data[0];
    const block = { external_source: 'calendar', external_id: 'headers', starts_at: other!.scheduled_at, ends_at: other!.ends_at };
    const requests: Array<[string, string, unknown?]> = [
      ['get /api/v1/me', '/api/v1/me'],
      ['get /api/v1/leads', '/api/v1/leads'],
      ['get /api/v1/leads/{id}', `/api/v1/leads/${lead.id}`],
      ['patch /api/v1/leads/{id}', `/api/v1/leads/${lead.id}`, { notes: 'headers' }],
      ['get /api/v1/agents', '/api/v1/agents'],
      ['get /api/v1/availability', '/api/v1/availability?limit=1'],
      ['get /api/v1/appointments', '/api/v1/appointments'],
      ['get /api/v1/appointments/{id}', `/api/v1/appointments/${appointment.id}`],
      ['patch /api/v1/appointments/{id}', `/api/v1/appointments/${appointment.id}`, { title: 'Headers' }],
      ['get /api/v1/campaigns', '/api/v1/campaigns'],
      ['get /api/v1/campaigns/contacts', '/api/v1/campaigns/contacts'],
      ['post /api/v1/campaigns/{id}/contacts', `/api/v1/campaigns/${campaign}/contacts`, contact],
      ['post /api/v1/availability/blocks', '/api/v1/availability/blocks', block],
      ['delete /api/v1/availability/blocks', '/api/v1/availability/blocks?external_source=calendar&external_id=headers'],
      ['get /api/v1/webhooks', '/api/v1/webhooks'],
      ['post /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver', `/api/v1/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`],
      ['delete /api/v1/appointments/{id}', `/api/v1/appointments/${appointment.id}`],
      ['delete /api/v1/webhooks/{id}', `/api/v1/webhooks/${hook.id}`],
    ];
    for (const [operation, path, body] of requests)
      expect({ operation, status: (await call(api, operation, path, body)).status }).toEqual({ operation, status: expect.any(Number) });
    expect(new Set(seen.filter((s) => s.res.status < 300).map((s) => s.operation))).toEqual(new Set(operationsOf(doc)));

    // Refusals: no key, a key without the scope, bad input, an unknown id, too large a body.
    const agentsOnly = await clientWithScopes(srv, clinic.clinic.id, ['agents:read']);
    for (const [operation, path, body] of requests) {
      await call(undefined, operation, path, body);
      if (operation !== 'get /api/v1/agents' && operation !== 'get /api/v1/me') await call(agentsOnly, operation, path, body);
    }
    await call(api, 'get /api/v1/leads', '/api/v1/leads?per_page=1000');
    await call(api, 'get /api/v1/leads/{id}', `/api/v1/leads/${randomUUID()}`);
    await call(api, 'post /api/v1/leads', '/api/v1/leads', { email: 'big@example.com', notes: 'x'.repeat(70_000) });

    // Idempotency-Key: the first answer, its replay, another request under the same key, a malformed key.
    const replays: Array<[string, string, unknown]> = [
      ['post /api/v1/leads', '/api/v1/leads', { email: 'replay@example.com' }],
      ['patch /api/v1/leads/{id}', `/api/v1/leads/${lead.id}`, { notes: 'replayed' }],
      ['post /api/v1/appointments', '/api/v1/appointments', { lead_id: lead.id, ...other! }],
      ['patch /api/v1/appointments/{id}', `/api/v1/appointments/${randomUUID()}`, { title: 'Missing' }],
      ['post /api/v1/campaigns/{id}/contacts', `/api/v1/campaigns/${campaign}/contacts`, contact],
    ];
    for (const [operation, path, body] of replays) {
      const key = { 'Idempotency-Key': randomUUID() };
      await call(api, operation, path, body, key);
      expect((await call(api, operation, path, body, key)).headers.get('idempotent-replayed')).toBe('true');
      expect((await call(api, operation, `${path}?again=1`, body, key)).status).toBe(422);
      expect((await call(api, operation, path, body, { 'Idempotency-Key': 'not a key' })).status).toBe(400);
    }
    await call(api, 'post /api/v1/appointments', '/api/v1/appointments', { lead_id: lead.id, ...other! }); // taken now: 409

    const statuses = new Set(seen.map((s) => s.res.status));
    for (const status of [200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 422]) expect([...statuses]).toContain(status);
    for (const { operation, res } of seen) {
      const [method, template] = operation.split(' ');
      expectHeadersDeclared(doc, method!, template!, res);
    }
  });

  it('declares the 429 of every operation, with its Retry-After', async () => {
    const limited = await startTestServer(backend, { runWorker: false, rateLimitPerMinute: 1 });
    try {
      const clinic = await limited.clinic('Limited Clinic');
      await clinic.api.get('/api/v1/me'); // the key's one request this minute
      for (const operation of operationsOf(doc)) {
        const [method, template] = operation.split(' ');
        const path = template!.replace(/\{[a-z_]+\}/g, randomUUID());
        const res = await clinic.api.request(method!.toUpperCase(), path, method === 'get' || method === 'delete' ? undefined : {});
        expect({ operation, status: res.status }).toEqual({ operation, status: 429 });
        expectHeadersDeclared(doc, method!, template!, res);
      }
    } finally {
      await limited.close();
    }
  });
});

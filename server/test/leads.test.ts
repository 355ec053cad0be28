/** Leads: create-or-update, validation, agent routing, filters, pagination, events. */
import { ErrorBody, Lead, LEAD_SOURCES, listOf } from '../../contract';
import { createApiKey } from '../services/api-keys';
import { backends } from './support/databases';
import { tableCounts } from './support/db-counts';
import { expectGuarded, openApiOperation } from './support/guards';
import { rawRequest, startTestServer, type ApiResponse, type TestClinic, type TestServer } from './support/server';

const LeadList = listOf(Lead, 'LeadList');

describe.each(backends())('leads on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;

  const outbound = () => clinic.agents.find((a) => a.direction === 'outbound')!;
  const inbound = () => clinic.agents.find((a) => a.direction === 'inbound')!;
  const events = async (type: string) =>
    srv.running.deps.database.db
      .selectFrom('webhook_events')
      .selectAll()
      .where('clinic_id', '=', clinic.clinic.id)
      .where('type', '=', type)
      .execute();

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic('Lead Clinic');
    other = await srv.clinic('Other Clinic');
  });
  afterAll(() => srv.close());

  it('creates a lead with the seed example body (201) and echoes the saved row', async () => {
    const body = {
      full_name: 'Alex Smith',
      phone: '+14155551212',
      email: 'alex@example.com',
      treatment_interest: 'implants',
      country: 'US',
      city: 'San Francisco',
      source: 'paid_ads',
      agent_id: outbound().id,
      external_source: 'make_facebook_lead_ads',
      external_id: 'fb_lead_987654321',
    };
    const res = await clinic.api.post('/api/v1/leads', body);
    expect(res.status).toBe(201);
    const lead = Lead.parse(res.body);
    expect(lead).toMatchObject({ ...body, status: 'new', notes: null, external_metadata: null });
    expect((await clinic.api.get(`/api/v1/leads/${lead.id}`)).body).toEqual(res.body);
  });

  it('updates the same lead on the same external_source + external_id (200), without duplicates', async () => {
    const first = await clinic.api.post('/api/v1/leads', {
      email: 'idem@example.com',
      external_source: 'crm',
      external_id: '42',
      city: 'Boston',
    });
    expect(first.status).toBe(201);
    const again = await clinic.api.post('/api/v1/leads', {
      email: 'idem@example.com',
      external_source: 'crm',
      external_id: '42',
      notes: 'called back',
      external_metadata: { stage: 'warm', score: 7 },
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body).toMatchObject({ notes: 'called back', city: 'Boston', external_metadata: { stage: 'warm', score: 7 } });
    const list = await clinic.api.get('/api/v1/leads?external_source=crm&external_id=42');
    expect(list.body.meta.total).toBe(1);
    // The same pair in another clinic is another lead.
    const elsewhere = await other.api.post('/api/v1/leads', { email: 'idem@example.com', external_source: 'crm', external_id: '42' });
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.id).not.toBe(first.body.id);
  });

  it('records lead.created and lead.updated events in the same transaction', async () => {
    const res = await clinic.api.post('/api/v1/leads', { phone: '+14155550001', external_source: 'evt', external_id: '1' });
    await clinic.api.post('/api/v1/leads', { phone: '+14155550001', external_source: 'evt', external_id: '1', city: 'Austin' });
    const created = (await events('lead.created')).filter((e) => JSON.parse(e.payload).data.lead.id === res.body.id);
    const updated = (await events('lead.updated')).filter((e) => JSON.parse(e.payload).data.lead.id === res.body.id);
    expect(created).toHaveLength(1);
    expect(updated).toHaveLength(1);
    expect(JSON.parse(updated[0]!.payload).data.lead.city).toBe('Austin');
  });

  it.each([
    ['neither phone nor email', { full_name: 'Nobody' }, 'phone'],
    ['a phone that is not E.164', { phone: '415-555-1212' }, 'phone'],
    ['a bad email', { email: 'not-an-email' }, 'email'],
    ['an undocumented source', { email: 'a@b.co', source: 'radio' }, 'source'],
    ['external_id without external_source', { email: 'a@b.co', external_id: 'x' }, 'external_id'],
    ['an unknown field', { email: 'a@b.co', favourite_colour: 'blue' }, ''],
    ['external_metadata over 4 KB', { email: 'a@b.co', external_metadata: { blob: 'x'.repeat(5000) } }, 'external_metadata'],
    ['a non-UUID agent_id', { email: 'a@b.co', agent_id: 'agent-1' }, 'agent_id'],
  ])('refuses %s with 400 invalid_input and writes nothing', async (_name, body, path) => {
    const before = (await clinic.api.get('/api/v1/leads')).body.meta.total;
    const res = await clinic.api.post('/api/v1/leads', body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_input');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await clinic.api.get('/api/v1/leads')).body.meta.total).toBe(before);
  });

  it('accepts every documented source', async () => {
    for (const source of LEAD_SOURCES) {
      expect((await clinic.api.post('/api/v1/leads', { email: `${source}@example.com`, source })).status).toBe(201);
    }
  });

  it('accepts only an outbound agent of the same clinic as agent_id', async () => {
    const inboundRes = await clinic.api.post('/api/v1/leads', { email: 'in@example.com', agent_id: inbound().id });
    expect(inboundRes.status).toBe(400);
    expect(inboundRes.body).toMatchObject({ code: 'invalid_input', error: expect.stringMatching(/outbound/) });
    const foreign = other.agents.find((a) => a.direction === 'outbound')!;
    const foreignRes = await clinic.api.post('/api/v1/leads', { email: 'foreign@example.com', agent_id: foreign.id });
    expect(foreignRes.status).toBe(400);
    expect(foreignRes.body.code).toBe('invalid_input');
    const ok = await clinic.api.post('/api/v1/leads', { email: 'routed@example.com', agent_id: outbound().id });
    expect(ok.status).toBe(201);
    expect(ok.body.agent_id).toBe(outbound().id);
  });

  it('filters by search, status, source, agent, email and phone, newest first', async () => {
    const tag = `Zed${Date.now()}`;
    const a = await clinic.api.post('/api/v1/leads', {
      full_name: `${tag} One`,
      email: `${tag.toLowerCase()}1@example.com`,
      source: 'referral',
    });
    const b = await clinic.api.post('/api/v1/leads', {
      full_name: `${tag} Two`,
      phone: '+14155559999',
      source: 'tiktok',
      agent_id: outbound().id,
    });
    const byName = await clinic.api.get(`/api/v1/leads?search=${tag}`);
    expect(byName.body.data.map((l: Lead) => l.id)).toEqual([b.body.id, a.body.id]);
    expect((await clinic.api.get(`/api/v1/leads?search=${tag}&source=tiktok`)).body.data.map((l: Lead) => l.id)).toEqual([b.body.id]);
    expect((await clinic.api.get(`/api/v1/leads?search=${tag}&agent_id=${outbound().id}`)).body.data.map((l: Lead) => l.id)).toEqual([
      b.body.id,
    ]);
    expect((await clinic.api.get(`/api/v1/leads?email=${tag.toUpperCase()}1@EXAMPLE.COM`)).body.data.map((l: Lead) => l.id)).toEqual([
      a.body.id,
    ]);
    expect((await clinic.api.get('/api/v1/leads?search=%2B14155559999')).body.data[0].id).toBe(b.body.id);
    expect((await clinic.api.get('/api/v1/leads?search=%25')).status).toBe(200); // LIKE wildcards are literal
    await clinic.api.patch(`/api/v1/leads/${a.body.id}`, { status: 'qualified' });
    expect((await clinic.api.get(`/api/v1/leads?search=${tag}&status=qualified`)).body.data.map((l: Lead) => l.id)).toEqual([a.body.id]);
    expect((await clinic.api.get('/api/v1/leads?status=hot')).status).toBe(400);
  });

  it('paginates with page and per_page (max 100)', async () => {
    const all = await clinic.api.get('/api/v1/leads?per_page=100');
    const total = all.body.meta.total;
    expect(total).toBeGreaterThan(10);
    const page2 = await clinic.api.get('/api/v1/leads?page=2&per_page=5');
    expect(page2.body.meta).toEqual({ page: 2, per_page: 5, total, has_more: total > 10 });
    expect(page2.body.data.map((l: Lead) => l.id)).toEqual(all.body.data.slice(5, 10).map((l: Lead) => l.id));
    expect((await clinic.api.get('/api/v1/leads?per_page=101')).status).toBe(400);
    expect((await clinic.api.get('/api/v1/leads?page=0')).status).toBe(400);
    expect((await clinic.api.get('/api/v1/leads')).body.meta.per_page).toBe(25);
  });

  it('PATCHes fields and clears with null, but never leaves a lead without phone and email', async () => {
    const lead = await clinic.api.post('/api/v1/leads', { email: 'patch@example.com', phone: '+14155550002', city: 'Reno' });
    const res = await clinic.api.patch(`/api/v1/leads/${lead.body.id}`, { city: null, notes: 'n' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ city: null, notes: 'n', email: 'patch@example.com' });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(lead.body.updated_at));
    expect((await clinic.api.patch(`/api/v1/leads/${lead.body.id}`, { email: null })).status).toBe(200);
    const both = await clinic.api.patch(`/api/v1/leads/${lead.body.id}`, { phone: null });
    expect(both.status).toBe(400);
    expect((await clinic.api.patch(`/api/v1/leads/${lead.body.id}`, {})).status).toBe(400);
  });

  it("answers 404 for another clinic's lead, and for unknown ids", async () => {
    const theirs = await other.api.post('/api/v1/leads', { email: 'theirs@example.com' });
    expect((await clinic.api.get(`/api/v1/leads/${theirs.body.id}`)).status).toBe(404);
    const patch = await clinic.api.patch(`/api/v1/leads/${theirs.body.id}`, { city: 'Hacked' });
    expect(patch.status).toBe(404);
    expect(patch.body.code).toBe('not_found');
    expect((await other.api.get(`/api/v1/leads/${theirs.body.id}`)).body.city).toBeNull();
    expect((await clinic.api.get('/api/v1/leads/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
  it('accepts external_metadata of exactly 4 KB of JSON and refuses one byte more', async () => {
    const metadata = (n: number) => ({ b: 'x'.repeat(n) }); // {"b":"..."} is 8 bytes plus n
    expect(Buffer.byteLength(JSON.stringify(metadata(4088)))).toBe(4096);
    const ok = await clinic.api.post('/api/v1/leads', { email: 'meta@example.com', external_metadata: metadata(4088) });
    expect(ok.status).toBe(201);
    expect(Lead.parse(ok.body).external_metadata).toEqual(metadata(4088));
    const over = await clinic.api.post('/api/v1/leads', { email: 'meta@example.com', external_metadata: metadata(4089) });
    expect(over.status).toBe(400);
    expect(over.body.details.map((d: { path: string }) => d.path)).toContain('external_metadata');
  });

  it('refuses a PATCH to an inbound or foreign agent with 400, and an unknown lead field with 400', async () => {
    const lead = (await clinic.api.post('/api/v1/leads', { email: 'reroute@example.com' })).body;
    expect((await clinic.api.patch(`/api/v1/leads/${lead.id}`, { agent_id: inbound().id })).status).toBe(400);
    const foreign = other.agents.find((a) => a.direction === 'outbound')!;
    expect((await clinic.api.patch(`/api/v1/leads/${lead.id}`, { agent_id: foreign.id })).body.code).toBe('invalid_input');
    expect((await clinic.api.patch(`/api/v1/leads/${lead.id}`, { stage: 'won' })).status).toBe(400);
    expect((await clinic.api.patch(`/api/v1/leads/${lead.id}`, { status: 'won' })).status).toBe(400);
    const routed = await clinic.api.patch(`/api/v1/leads/${lead.id}`, { agent_id: outbound().id });
    expect(Lead.parse(routed.body).agent_id).toBe(outbound().id);
    expect(Lead.parse((await clinic.api.patch(`/api/v1/leads/${lead.id}`, { agent_id: null })).body).agent_id).toBeNull();
  });

  it('records lead.updated for a PATCH, carrying the lead as GET returns it', async () => {
    const lead = (await clinic.api.post('/api/v1/leads', { email: 'patched-event@example.com' })).body;
    const patched = (await clinic.api.patch(`/api/v1/leads/${lead.id}`, { status: 'contacted' })).body;
    const rows = (await events('lead.updated')).filter((e) => JSON.parse(e.payload).data.lead.id === lead.id);
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.payload).data.lead).toEqual((await clinic.api.get(`/api/v1/leads/${lead.id}`)).body);
    expect(JSON.parse(rows[0]!.payload).data.lead).toEqual(patched);
    // A refused write records nothing.
    const before = (await events('lead.updated')).length;
    await clinic.api.patch(`/api/v1/leads/${lead.id}`, { agent_id: inbound().id });
    expect((await events('lead.updated')).length).toBe(before);
  });

  it.each([
    ['a NUL character in a text field', { email: 'nul@example.com', notes: 'a\u0000b' }],
    ['a NUL character in external_metadata', { email: 'nul@example.com', external_metadata: { note: 'a\u0000b' } }],
  ])('refuses %s with 400, not 500, and writes nothing', async (_name, body) => {
    const before = await tableCounts(srv.running.deps.database);
    const res = await clinic.api.post('/api/v1/leads', body);
    expect(res.status).toBe(400);
    expect(ErrorBody.parse(res.body).code).toBe('invalid_input');
    expect(await tableCounts(srv.running.deps.database)).toEqual(before);
  });

  it('answers a NUL character in a list filter with 400, not 500', async () => {
    for (const query of ['search=a%00', 'email=a%00%40b.co', 'external_source=a%00&external_id=b']) {
      const res = await clinic.api.get(`/api/v1/leads?${query}`);
      expect({ query, status: res.status, code: res.body.code }).toEqual({ query, status: 400, code: 'invalid_input' });
    }
  });

  it('answers a lead id that is not a UUID with 400', async () => {
    for (const res of [await clinic.api.get('/api/v1/leads/lead-1'), await clinic.api.patch('/api/v1/leads/lead-1', { city: 'X' })]) {
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain('id');
    }
  });

  it('lists leads in the contract shape', async () => {
    const list = LeadList.parse((await clinic.api.get('/api/v1/leads?per_page=100')).body);
    const times = list.data.map((l) => Date.parse(l.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(JSON.stringify(list)).not.toContain('theirs@example.com');
  });

  it.each([
    ['GET', '/api/v1/leads', undefined, 'leads:read'],
    ['POST', '/api/v1/leads', { email: 'guarded@example.com' }, 'leads:write'],
    ['GET', '/api/v1/leads/00000000-0000-4000-8000-000000000000', undefined, 'leads:read'],
    ['PATCH', '/api/v1/leads/00000000-0000-4000-8000-000000000000', { city: 'X' }, 'leads:write'],
  ] as const)('%s %s answers 401 without a valid key and 403 without its scope', async (method, path, body, scope) => {
    await expectGuarded(srv, clinic.clinic.id, { method, path, body, scope });
  });

  it('refuses the key in the query string with 401 and says to use the header', async () => {
    const res = await rawRequest(srv.url, 'POST', `/api/v1/leads?api_key=${clinic.api_key}`, { email: 'qs@example.com' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'unauthorized', error: expect.stringMatching(/Authorization header/) });
    expect((await clinic.api.get('/api/v1/leads?search=qs%40example.com')).body.meta.total).toBe(0);
  });

  it('sends the RateLimit headers on every response, success or failure', async () => {
    const { key, row } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'headers');
    const api = srv.client(key);
    const readOnly = srv.client((await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'ro', ['leads:read'])).key);
    const responses: Array<[string, ApiResponse]> = [
      ['201', await api.post('/api/v1/leads', { email: 'rl@example.com' })],
      ['200', await api.get('/api/v1/leads')],
      ['400', await api.post('/api/v1/leads', {})],
      ['400 query', await api.get('/api/v1/leads?per_page=0')],
      ['404', await api.get('/api/v1/leads/00000000-0000-4000-8000-000000000000')],
      ['403', await readOnly.post('/api/v1/leads', { email: 'rl@example.com' })],
      ['413', await api.request('POST', '/api/v1/leads', JSON.stringify({ email: 'a@b.co', notes: 'x'.repeat(200_000) }))],
    ];
    for (const [label, res] of responses) {
      expect({ label, policy: res.headers.get('ratelimit-policy') }).toEqual({ label, policy: '"default";q=120;w=60' });
      expect({ label, limit: res.headers.get('ratelimit') }).toEqual({ label, limit: expect.stringMatching(/^"default";r=\d+;t=\d+$/) });
    }
    expect(row.id).toEqual(expect.any(String));
  });

  it('answers the 121st request within a minute with 429 rate_limited and Retry-After', async () => {
    const { key } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'burst', ['leads:read']);
    const api = srv.client(key);
    // Stay inside one fixed window: if it is about to end, start in the next one.
    const probe = await api.get('/api/v1/leads?per_page=1');
    const t = Number(/t=(\d+)/.exec(probe.headers.get('ratelimit')!)![1]);
    let used = 1;
    if (t < 20) {
      await new Promise((r) => setTimeout(r, (t + 1) * 1000));
      used = 0;
    }
    const statuses: number[] = [];
    let last: ApiResponse | undefined;
    for (let i = used; i < 130 && last?.status !== 429; i++) {
      last = await api.get('/api/v1/leads?per_page=1');
      statuses.push(last.status);
    }
    expect(statuses.slice(0, -1).every((s) => s === 200)).toBe(true);
    expect(last!.status).toBe(429);
    // The server counted exactly 120 allowed requests before refusing. (The client may have sent
    // one or two more than it saw: it retries a GET whose reused socket was closed under it.)
    const window = await srv.running.deps.database.db
      .selectFrom('rate_limits')
      .select('count')
      .where(
        'key_id',
        '=',
        (await srv.running.deps.database.db.selectFrom('api_keys').select('id').where('name', '=', 'burst').executeTakeFirstOrThrow()).id,
      )
      .orderBy('window_start', 'desc')
      .executeTakeFirstOrThrow();
    expect(window.count).toBeGreaterThanOrEqual(121);
    expect(used + statuses.length - 1).toBeGreaterThanOrEqual(118);
    expect(used + statuses.length - 1).toBeLessThanOrEqual(120);
    expect(ErrorBody.parse(last!.body).code).toBe('rate_limited');
    const retryAfter = Number(last!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(last!.headers.get('ratelimit')).toBe(`"default";r=0;t=${retryAfter}`);
    // The budget is per key: the clinic's other key still gets through.
    expect((await clinic.api.get('/api/v1/leads?per_page=1')).status).toBe(200);
  });

  it('documents all four lead endpoints in the OpenAPI document', async () => {
    for (const [method, path, scope] of [
      ['get', '/api/v1/leads', 'leads:read'],
      ['post', '/api/v1/leads', 'leads:write'],
      ['get', '/api/v1/leads/{id}', 'leads:read'],
      ['patch', '/api/v1/leads/{id}', 'leads:write'],
    ] as const) {
      const op = await openApiOperation(srv, method, path);
      expect(op.description).toContain(scope);
    }
  });
});

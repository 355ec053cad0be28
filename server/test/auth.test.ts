/** /me, API-key authentication, scopes, rate limit, body limit and error shapes. */
import { Me, SCOPES } from '../../contract';
import { createApiKey, hashApiKey, revokeApiKey } from '../services/api-keys';
import { backends } from './support/databases';
import { rawRequest, startTestServer, type TestClinic, type TestServer } from './support/server';

describe.each(backends())('authentication and limits on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic('Auth Clinic', 'Europe/London');
  });
  afterAll(() => srv.close());

  it('GET /me returns the clinic and key metadata', async () => {
    const res = await clinic.api.get('/api/v1/me');
    expect(res.status).toBe(200);
    const me = Me.parse(res.body);
    expect(me.clinic).toEqual({ id: clinic.clinic.id, name: 'Auth Clinic', timezone: 'Europe/London' });
    expect(me.api_key.prefix).toBe(clinic.api_key.slice(0, 13));
    expect([...me.api_key.scopes].sort()).toEqual([...SCOPES].sort());
    expect(JSON.stringify(res.body)).not.toContain(clinic.api_key);
  });

  it('stores only a SHA-256 hash of the key', async () => {
    const rows = await srv.running.deps.database.db.selectFrom('api_keys').selectAll().where('clinic_id', '=', clinic.clinic.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key_hash).toBe(hashApiKey(clinic.api_key));
    expect(JSON.stringify(rows)).not.toContain(clinic.api_key);
  });

  it.each([
    ['no header', {}, /Missing API key/],
    ['a malformed header', { authorization: 'Token abc' }, /must be "Bearer/],
    ['an unknown key', { authorization: 'Bearer qbk_live_unknown' }, /invalid or has been revoked/],
  ])('answers 401 unauthorized for %s', async (_name, headers, message) => {
    const res = await rawRequest(srv.url, 'GET', '/api/v1/me', undefined, headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: expect.stringMatching(message), code: 'unauthorized' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('refuses a key in the query string, even a valid one, and says to use the header', async () => {
    for (const q of [`api_key=${clinic.api_key}`, `token=${clinic.api_key}`, `x=${clinic.api_key}`]) {
      const res = await rawRequest(srv.url, 'GET', `/api/v1/me?${q}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
      expect(res.body.error).toMatch(/Authorization header/);
    }
    // Even together with a valid header: the key has leaked into a URL.
    const both = await rawRequest(srv.url, 'GET', `/api/v1/me?api_key=${clinic.api_key}`, undefined, {
      authorization: `Bearer ${clinic.api_key}`,
    });
    expect(both.status).toBe(401);
  });

  it('refuses a revoked key', async () => {
    const { key, row } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'to revoke');
    expect((await srv.client(key).get('/api/v1/me')).status).toBe(200);
    expect(await revokeApiKey(srv.running.deps.database.db, clinic.clinic.id, row.id)).toBe(true);
    expect((await srv.client(key).get('/api/v1/me')).status).toBe(401);
  });

  it('answers 403 insufficient_scope when the key lacks the scope', async () => {
    const { key } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'read only', ['leads:read']);
    const api = srv.client(key);
    expect((await api.get('/api/v1/leads')).status).toBe(200);
    const res = await api.post('/api/v1/leads', { email: 'x@example.com' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'insufficient_scope', error: expect.stringContaining('leads:write') });
    for (const path of ['/api/v1/appointments', '/api/v1/campaigns', '/api/v1/agents', '/api/v1/availability', '/api/v1/webhooks']) {
      expect((await api.get(path)).status).toBe(403);
    }
    expect((await api.get('/api/v1/me')).status).toBe(200); // any valid key may ask who it is
  });

  it('sends the RateLimit headers on every response and answers the 121st request of a minute with 429', async () => {
    const { key } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'limited');
    const api = srv.client(key);
    const first = await api.get('/api/v1/me');
    expect(first.headers.get('ratelimit-policy')).toBe('"default";q=120;w=60');
    expect(first.headers.get('ratelimit')).toMatch(/^"default";r=119;t=\d+$/);
    // Requests at a window boundary would start a fresh window: align to a quiet moment first.
    const t = Number(/t=(\d+)/.exec(first.headers.get('ratelimit')!)![1]);
    if (t < 15) await new Promise((r) => setTimeout(r, (t + 1) * 1000));
    const responses = [];
    for (let i = 0; i < 125; i++) responses.push(await api.get('/api/v1/me'));
    const limited = responses.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    const firstLimited = limited[0]!;
    expect(firstLimited.body.code).toBe('rate_limited');
    expect(Number(firstLimited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(firstLimited.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
    // Another key of the same clinic has its own budget.
    expect((await clinic.api.get('/api/v1/me')).status).toBe(200);
  });

  it('answers an oversized body with 413 and malformed JSON with 400, as JSON errors', async () => {
    const big = await clinic.api.request('POST', '/api/v1/leads', JSON.stringify({ email: 'a@b.co', notes: 'x'.repeat(100_000) }));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
    const bad = await clinic.api.request('POST', '/api/v1/leads', '{"email":');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_input');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await clinic.api.get('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: expect.any(String), code: 'not_found' });
  });
});

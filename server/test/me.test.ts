/**
 * GET /api/v1/me: the clinic and key metadata (the Zapier connection test and label), the 401
 * paths, the query-string refusal and the rate-limit headers, on both backends.
 */
import { ErrorBody, Me, SCOPES } from '../../contract';
import { createApiKey, revokeApiKey } from '../services/api-keys';
import { backends } from './support/databases';
import { openApiOperation } from './support/guards';
import { rawRequest, startTestServer, type TestClinic, type TestServer } from './support/server';

describe.each(backends())('GET /api/v1/me on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Smile Dental', 'Europe/Berlin');
    other = await srv.clinic('Other Dental', 'Asia/Tokyo');
  });
  afterAll(() => srv.close());

  it('returns the clinic and the calling key, and never the key itself', async () => {
    const res = await clinic.api.get('/api/v1/me');
    expect(res.status).toBe(200);
    const me = Me.parse(res.body);
    expect(Object.keys(res.body).sort()).toEqual(['api_key', 'clinic']);
    expect(me.clinic).toEqual({ id: clinic.clinic.id, name: 'Smile Dental', timezone: 'Europe/Berlin' });
    expect(Object.keys(me.api_key).sort()).toEqual(['created_at', 'id', 'last_used_at', 'name', 'prefix', 'scopes']);
    expect(me.api_key).toMatchObject({ name: 'Default key', prefix: clinic.api_key.slice(0, 13) });
    expect(me.api_key.prefix).toMatch(/^qbk_live_/);
    expect([...me.api_key.scopes].sort()).toEqual([...SCOPES].sort());
    expect(me.api_key.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(JSON.stringify(res.body)).not.toContain(clinic.api_key);
  });

  it('describes whichever key calls it: its own name, scopes and clinic', async () => {
    const db = srv.running.deps.database.db;
    const { key, row } = await createApiKey(db, clinic.clinic.id, 'Zapier', ['campaigns:read', 'webhooks:write']);
    const me = Me.parse((await srv.client(key).get('/api/v1/me')).body);
    expect(me.api_key).toMatchObject({ id: row.id, name: 'Zapier', scopes: ['campaigns:read', 'webhooks:write'] });
    expect(me.clinic.id).toBe(clinic.clinic.id);
    expect(Me.parse((await other.api.get('/api/v1/me')).body).clinic).toEqual({
      id: other.clinic.id,
      name: 'Other Dental',
      timezone: 'Asia/Tokyo',
    });
  });

  it('needs no scope: a key with a single unrelated scope may ask who it is', async () => {
    const { key } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'narrow', ['availability:read']);
    expect((await srv.client(key).get('/api/v1/me')).status).toBe(200);
  });

  it('records last_used_at once the key is used', async () => {
    const { key } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'fresh');
    const first = Me.parse((await srv.client(key).get('/api/v1/me')).body);
    const second = Me.parse((await srv.client(key).get('/api/v1/me')).body);
    // Authentication stamps the key before the handler reads it.
    expect(first.api_key.last_used_at).toEqual(expect.any(String));
    expect(second.api_key.last_used_at).toBe(first.api_key.last_used_at); // refreshed at most once a minute
    expect(Date.parse(second.api_key.last_used_at!)).toBeGreaterThanOrEqual(Date.parse(second.api_key.created_at));
  });

  it.each([
    ['no Authorization header', {}, /Missing API key/],
    ['a Basic header', { authorization: `Basic ${Buffer.from('user:pw').toString('base64')}` }, /must be "Bearer/],
    ['a Bearer header without a key', { authorization: 'Bearer ' }, /must be "Bearer/],
    ['an unknown key', { authorization: 'Bearer qbk_live_unknownunknownunknown' }, /invalid or has been revoked/],
  ])('answers 401 unauthorized for %s', async (_name, headers, message) => {
    const res = await rawRequest(srv.url, 'GET', '/api/v1/me', undefined, headers as Record<string, string>);
    expect(res.status).toBe(401);
    expect(ErrorBody.parse(res.body)).toEqual({ error: expect.stringMatching(message), code: 'unauthorized' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="qualifybase"/);
    expect(res.headers.get('ratelimit-policy')).toBe('"default";q=120;w=60');
  });

  it('answers 401 for a revoked key', async () => {
    const db = srv.running.deps.database.db;
    const { key, row } = await createApiKey(db, clinic.clinic.id, 'to revoke');
    expect((await srv.client(key).get('/api/v1/me')).status).toBe(200);
    await revokeApiKey(db, clinic.clinic.id, row.id);
    const res = await srv.client(key).get('/api/v1/me');
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/revoked/);
  });

  it('refuses a key in the query string with 401 and a message that says to use the header', async () => {
    for (const query of [`api_key=${clinic.api_key}`, `access_token=${clinic.api_key}`, `anything=${clinic.api_key}`]) {
      const res = await rawRequest(srv.url, 'GET', `/api/v1/me?${query}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('unauthorized');
      expect(res.body.error).toMatch(/query string/);
      expect(res.body.error).toMatch(/Authorization header/);
      expect(res.body.error).not.toContain(clinic.api_key);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="qualifybase", error="invalid_request"');
    }
  });

  it('carries the RateLimit headers, counting down per key', async () => {
    const { key } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'counted');
    const api = srv.client(key);
    const first = await api.get('/api/v1/me');
    const second = await api.get('/api/v1/me');
    expect(first.headers.get('ratelimit-policy')).toBe('"default";q=120;w=60');
    const parse = (h: string | null) => /^"default";r=(\d+);t=(\d+)$/.exec(h ?? '');
    const [r1, r2] = [parse(first.headers.get('ratelimit')), parse(second.headers.get('ratelimit'))];
    expect(r1).not.toBeNull();
    expect(r2).not.toBeNull();
    const t2 = Number(r2![2]);
    expect(t2).toBeGreaterThanOrEqual(1);
    expect(t2).toBeLessThanOrEqual(60);
    // Two requests in the same one-minute window use two of the 120; a new window restarts at 119.
    if (Number(r1![2]) >= t2) expect(Number(r2![1])).toBe(Number(r1![1]) - 1);
    expect(Number(r1![1])).toBe(119);
  });

  it('is in the OpenAPI document as the connection test', async () => {
    const op = await openApiOperation(srv, 'get', '/api/v1/me');
    expect(op.operationId).toBe('getMe');
    expect(op.security).toEqual([{ bearerAuth: [] }]);
    expect(op.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/Me');
    expect(op.responses['401']).toBeDefined();
  });
});

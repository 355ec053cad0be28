/**
 * Issue 19: what one clinic may ask of webhook delivery. Subscriptions are capped per API key and
 * per clinic (409 limit_reached beyond, counting only active ones, and two instances racing never
 * exceed a cap), and destinations use port 443 unless the operator allows another port.
 */
import dnsPromises from 'node:dns/promises';
import pino from 'pino';
import { ErrorBody } from '../../contract';
import type { ServerConfig } from '../config';
import { connectDatabase, type DatabaseHandle } from '../db/connect';
import { startServer, type RunningServer } from '../server';
import { createApiKey, revokeApiKey } from '../services/api-keys';
import { enableClinicWebhook } from '../services/webhooks';
import { assertDeliverableUrl } from '../webhooks/url-policy';
import { backends, createPostgresDatabase, openTestDatabase, type Backend } from './support/databases';
import { openApiOperation } from './support/guards';
import { apiClient, rawRequest, startTestServer, type ApiClient, type TestServer } from './support/server';

const hook = (n: number) => ({ url: `https://hooks.example.test/h/${n}`, events: ['lead.created'] });

/** Every host name resolves to one public address: the URL policy accepts the hooks above without DNS. */
function publicDns() {
  return jest
    .spyOn(dnsPromises, 'lookup')
    .mockImplementation((async () => [{ address: '93.184.216.34', family: 4 }]) as unknown as typeof dnsPromises.lookup);
}

const CAPS: Partial<ServerConfig> = { runWorker: false, webhooksPerKey: 3, webhooksPerClinic: 5 };

describe.each(backends())('webhook subscription caps on %s', (backend) => {
  let srv: TestServer;
  let dns: jest.SpyInstance;
  beforeAll(async () => {
    dns = publicDns();
    srv = await startTestServer(backend, CAPS);
  });
  afterAll(async () => {
    dns.mockRestore();
    await srv.close();
  });

  const newKey = async (clinicId: string, name: string): Promise<ApiClient> =>
    srv.client((await createApiKey(srv.running.deps.database.db, clinicId, name)).key);

  it('refuses a key its fourth subscription with 409 limit_reached, saying what to do', async () => {
    const clinic = await srv.clinic('Per Key');
    for (let n = 0; n < 3; n++) expect((await clinic.api.post('/api/v1/webhooks', hook(n))).status).toBe(201);
    const refused = await clinic.api.post('/api/v1/webhooks', hook(3));
    expect(refused.status).toBe(409);
    ErrorBody.parse(refused.body);
    expect(refused.body.code).toBe('limit_reached');
    expect(refused.body.error).toMatch(/3 active webhook subscriptions/);
    expect(refused.body.error).toMatch(/DELETE \/api\/v1\/webhooks\/\{id\}/);
    expect((await clinic.api.get('/api/v1/webhooks')).body.meta.total).toBe(3);

    // Deleting one makes room again.
    const [first] = (await clinic.api.get('/api/v1/webhooks')).body.data;
    expect((await clinic.api.delete(`/api/v1/webhooks/${first.id}`)).status).toBe(204);
    expect((await clinic.api.post('/api/v1/webhooks', hook(4))).status).toBe(201);
  });

  it('refuses the clinic its sixth subscription whichever key asks, and counts only active ones', async () => {
    const clinic = await srv.clinic('Per Clinic');
    const second = await newKey(clinic.clinic.id, 'second');
    for (let n = 0; n < 3; n++) expect((await clinic.api.post('/api/v1/webhooks', hook(n))).status).toBe(201);
    for (let n = 3; n < 5; n++) expect((await second.post('/api/v1/webhooks', hook(n))).status).toBe(201);
    const refused = await second.post('/api/v1/webhooks', hook(5));
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 409, code: 'limit_reached' });
    expect(refused.body.error).toMatch(/clinic has 5 active webhook subscriptions/);

    // Another clinic is not affected.
    const other = await srv.clinic('Unaffected');
    expect((await other.api.post('/api/v1/webhooks', hook(0))).status).toBe(201);

    // Revoking the first key disables its three subscriptions: they no longer count.
    const keys = await srv.running.deps.database.db
      .selectFrom('api_keys')
      .select('id')
      .where('clinic_id', '=', clinic.clinic.id)
      .orderBy('created_at')
      .execute();
    await revokeApiKey(srv.running.deps.database.db, clinic.clinic.id, keys[0]!.id);
    expect((await second.post('/api/v1/webhooks', hook(6))).status).toBe(201);
  });

  it('refuses to re-enable (dashboard) or redeliver into a disabled subscription beyond the cap', async () => {
    const clinic = await srv.clinic('Re-enable');
    const { db } = srv.running.deps.database;
    for (let n = 0; n < 3; n++) expect((await clinic.api.post('/api/v1/webhooks', hook(n))).status).toBe(201);
    const [disabled] = (await clinic.api.get('/api/v1/webhooks')).body.data;
    await db.updateTable('webhooks').set({ status: 'disabled', disabled_reason: 'failing' }).where('id', '=', disabled.id).execute();
    expect((await clinic.api.post('/api/v1/webhooks', hook(3))).status).toBe(201);
    await db
      .insertInto('webhook_events')
      .values({ id: 'evt_cap', clinic_id: clinic.clinic.id, type: 'lead.created', payload: '{}' })
      .execute();
    await db
      .insertInto('webhook_deliveries')
      .values({ id: `msg_${'c'.repeat(32)}`, clinic_id: clinic.clinic.id, webhook_id: disabled.id, event_id: 'evt_cap', status: 'failed' })
      .execute();
    const redelivered = await clinic.api.post(`/api/v1/webhooks/${disabled.id}/deliveries/msg_${'c'.repeat(32)}/redeliver`);
    expect({ status: redelivered.status, code: redelivered.body.code }).toEqual({ status: 409, code: 'limit_reached' });
    await expect(enableClinicWebhook(db, clinic.clinic.id, disabled.id, srv.running.deps.config)).rejects.toMatchObject({
      status: 409,
      code: 'limit_reached',
    });
    const row = await db.selectFrom('webhooks').select('status').where('id', '=', disabled.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('disabled');
  });

  it('documents the caps and the 409 in the OpenAPI document', async () => {
    const op = await openApiOperation(srv, 'post', '/api/v1/webhooks');
    expect(op.responses['409'].description).toMatch(/^limit_reached/);
    expect(op.description).toMatch(/3 active subscriptions per API key and 5 per clinic/);
  });
});

/** Two server instances on one database: PostgreSQL through two pools, PGlite through one handle. */
async function twoInstances(backend: Backend, config: Partial<ServerConfig>) {
  const handles: DatabaseHandle[] = [];
  if (backend === 'postgres') {
    const url = await createPostgresDatabase();
    handles.push(await connectDatabase({ databaseUrl: url }), await connectDatabase({ databaseUrl: url }));
  } else {
    const one = await openTestDatabase(backend);
    handles.push(one, one);
  }
  const servers: RunningServer[] = [];
  for (const database of handles) {
    servers.push(
      await startServer({
        database,
        config: { port: 0, host: '127.0.0.1', devTools: true, allowPrivateWebhooks: true, ...config },
        logger: pino({ level: 'silent' }),
        seedDemo: false,
      }),
    );
  }
  return {
    servers,
    async close() {
      for (const s of servers) await s.close();
      for (const h of new Set(handles)) await h.close();
    },
  };
}

describe.each(backends())('subscription caps under a race between two instances on %s', (backend) => {
  it('creates exactly as many subscriptions as the clinic cap allows', async () => {
    const dns = publicDns();
    const pair = await twoInstances(backend, { ...CAPS, webhooksPerKey: 100 });
    try {
      const [a, b] = pair.servers as [RunningServer, RunningServer];
      const created = await rawRequest(a.url, 'POST', '/dev/clinics', { name: 'Race', timezone: 'UTC' });
      const clinicId = created.body.clinic.id as string;
      const keys = [created.body.api_key as string];
      for (let k = 1; k < 4; k++) keys.push((await createApiKey(a.deps.database.db, clinicId, `k${k}`)).key);
      const attempts = Array.from({ length: 24 }, (_, i) => apiClient((i % 2 ? b : a).url, keys[i % 4]!).post('/api/v1/webhooks', hook(i)));
      const statuses = (await Promise.all(attempts)).map((r) => (r.status === 409 ? r.body.code : r.status));
      expect(statuses.filter((s) => s === 201)).toHaveLength(5);
      expect(statuses.filter((s) => s === 'limit_reached')).toHaveLength(19);
      const active = await a.deps.database.db.selectFrom('webhooks').select('id').where('clinic_id', '=', clinicId).execute();
      expect(active).toHaveLength(5);
    } finally {
      await pair.close();
      dns.mockRestore();
    }
  });
});

describe.each(backends())('webhook destination ports on %s', (backend) => {
  let strict: TestServer;
  let dns: jest.SpyInstance;
  beforeAll(async () => {
    dns = publicDns();
    strict = await startTestServer(backend, { devTools: true, allowPrivateWebhooks: false, runWorker: false });
  });
  afterAll(async () => {
    dns.mockRestore();
    await strict.close();
  });

  it.each([
    'https://1.1.1.1:22/h',
    'https://hooks.example.test:8443/h',
    'https://hooks.example.test:80/h',
    'https://[2606:4700::1]:6379/h',
  ])('refuses %s: only port 443 unless the operator allows more', async (url) => {
    const clinic = await strict.clinic('Ports');
    const res = await clinic.api.post('/api/v1/webhooks', { url, events: ['lead.created'] });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'invalid_input' });
    expect(res.body.error).toMatch(/port \d+ is not allowed: use port 443 \(QB_WEBHOOK_ALLOWED_PORTS/);
  });

  it('accepts port 443, written or not', async () => {
    const clinic = await strict.clinic('Port 443');
    for (const url of ['https://hooks.example.test/h', 'https://hooks.example.test:443/h', 'https://1.1.1.1/h']) {
      expect({ url, status: (await clinic.api.post('/api/v1/webhooks', { url, events: ['lead.created'] })).status }).toEqual({
        url,
        status: 201,
      });
    }
  });

  it('accepts another port only when QB_WEBHOOK_ALLOWED_PORTS lists it', async () => {
    const allowing = await startTestServer(backend, {
      devTools: true,
      allowPrivateWebhooks: false,
      runWorker: false,
      webhookAllowedPorts: [443, 8443],
    });
    try {
      const clinic = await allowing.clinic('Allowed Ports');
      const ok = await clinic.api.post('/api/v1/webhooks', { url: 'https://hooks.example.test:8443/h', events: ['lead.created'] });
      expect(ok.status).toBe(201);
      const refused = await clinic.api.post('/api/v1/webhooks', { url: 'https://hooks.example.test:22/h', events: ['lead.created'] });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(/use port 443 or 8443/);
    } finally {
      await allowing.close();
    }
  });
});

describe('port policy with QB_ALLOW_PRIVATE_WEBHOOKS=1', () => {
  it('allows any port on loopback and private receivers, and only the allowed ports elsewhere', async () => {
    const policy = { allowPrivate: true, allowedPorts: [443] };
    await expect(assertDeliverableUrl('http://127.0.0.1:9999/h', policy)).resolves.toBeUndefined();
    await expect(assertDeliverableUrl('http://[::1]:9999/h', policy)).resolves.toBeUndefined();
    await expect(assertDeliverableUrl('http://10.1.2.3:22/h', policy)).resolves.toBeUndefined();
    await expect(assertDeliverableUrl('http://localhost:3000/h', policy)).resolves.toBeUndefined();
    await expect(assertDeliverableUrl('https://1.1.1.1:22/h', policy)).rejects.toThrow(/port 22 is not allowed/);
    const dns = publicDns();
    try {
      await expect(assertDeliverableUrl('https://hooks.example.test:8443/h', policy)).rejects.toThrow(/port 8443 is not allowed/);
      await expect(assertDeliverableUrl('https://hooks.example.test/h', policy)).resolves.toBeUndefined();
    } finally {
      dns.mockRestore();
    }
  });
});

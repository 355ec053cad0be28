/**
 * Webhook subscriptions: per-key ownership, the secret shown once, pagination, auth and scope,
 * and the URL policy (https only; no private, loopback, link-local, CGNAT, multicast or
 * unspecified addresses, by literal or by DNS) with its dev-mode exception.
 */
import dnsPromises from 'node:dns/promises';
import { EVENT_TYPES, listOf, Webhook, WebhookCreated } from '../../contract';
import { createApiKey } from '../services/api-keys';
import { assertDeliverableUrl, isBlockedAddress, UrlPolicyError } from '../webhooks/url-policy';
import { backends } from './support/databases';
import { tableCounts } from './support/db-counts';
import { expectGuarded, openApiOperation } from './support/guards';
import { startTestServer, type ApiClient, type TestClinic, type TestServer } from './support/server';

const WebhookList = listOf(Webhook, 'WebhookList');

/** Answers DNS lookups from a fixed table, so resolution tests need no network. */
function fakeDns(table: Record<string, string[]>) {
  return jest.spyOn(dnsPromises, 'lookup').mockImplementation((async (host: string) => {
    const addresses = table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }) as unknown as typeof dnsPromises.lookup);
}

const DNS = {
  'hooks.example.test': ['93.184.216.34'],
  'v6.example.test': ['2606:4700:4700::1111'],
  'intranet.example.test': ['10.0.0.5'],
  'metadata.example.test': ['169.254.169.254'],
  'cgnat.example.test': ['100.64.3.2'],
  'mixed.example.test': ['93.184.216.34', '192.168.1.1'],
  'v6-private.example.test': ['fd00::1'],
  'v6-mapped.example.test': ['::ffff:127.0.0.1'],
};

describe.each(backends())('webhook subscriptions on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let secondKey: ApiClient;

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic();
    other = await srv.clinic('Other');
    secondKey = srv.client((await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'second')).key);
  });
  afterAll(() => srv.close());

  it('creates a subscription with its signing secret, shown only in the create response', async () => {
    const res = await clinic.api.post('/api/v1/webhooks', {
      url: 'https://hooks.zapier.com/hooks/standard/1/abc/',
      events: ['appointment.created', 'appointment.created'],
    });
    expect(res.status).toBe(201);
    const created = WebhookCreated.parse(res.body);
    expect(created).toMatchObject({
      url: 'https://hooks.zapier.com/hooks/standard/1/abc/',
      events: ['appointment.created'],
      status: 'active',
    });
    expect(created.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(created.signingSecret.slice(6), 'base64')).toHaveLength(24);
    const row = await srv.running.deps.database.db
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).toBe(created.signingSecret);
    const list = WebhookList.parse((await clinic.api.get('/api/v1/webhooks')).body);
    expect(list.data.map((w) => w.id)).toContain(created.id);
    expect(JSON.stringify(list)).not.toContain(created.signingSecret);
    expect(JSON.stringify(list)).not.toContain('signingSecret');
  });

  it('accepts every documented event type, and gives each subscription its own secret', async () => {
    const a = await clinic.api.post('/api/v1/webhooks', { url: 'https://example.com/all', events: [...EVENT_TYPES] });
    const b = await clinic.api.post('/api/v1/webhooks', { url: 'https://example.com/all', events: ['lead.updated'] });
    expect(a.status).toBe(201);
    expect([...a.body.events].sort()).toEqual([...EVENT_TYPES].sort());
    expect(b.body.signingSecret).not.toBe(a.body.signingSecret);
  });

  it("lists only the calling key's subscriptions, newest first, paginated", async () => {
    const api = srv.client((await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'lister')).key);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await api.post('/api/v1/webhooks', { url: `https://example.com/${i}`, events: ['lead.created'] })).body.id);
    const all = WebhookList.parse((await api.get('/api/v1/webhooks')).body);
    expect(all.meta).toEqual({ page: 1, per_page: 25, total: 3 });
    expect(all.data.map((w) => w.id)).toEqual([...ids].reverse());
    const page2 = WebhookList.parse((await api.get('/api/v1/webhooks?per_page=2&page=2')).body);
    expect(page2.meta).toEqual({ page: 2, per_page: 2, total: 3 });
    expect(page2.data.map((w) => w.id)).toEqual([ids[0]]);
    expect((await api.get('/api/v1/webhooks?per_page=101')).status).toBe(400);
    // The same clinic's first key does not see them.
    expect(JSON.stringify((await clinic.api.get('/api/v1/webhooks?per_page=100')).body)).not.toContain(ids[0]!);
  });

  it('keeps subscriptions to the key that made them: another key or clinic gets 404, the owner 204', async () => {
    const mine = (await clinic.api.post('/api/v1/webhooks', { url: 'https://example.com/a', events: ['lead.created'] })).body;
    expect(WebhookList.parse((await secondKey.get('/api/v1/webhooks')).body).data).toEqual([]);
    const foreign = await secondKey.delete(`/api/v1/webhooks/${mine.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('not_found');
    expect((await other.api.delete(`/api/v1/webhooks/${mine.id}`)).status).toBe(404);
    const gone = await clinic.api.delete(`/api/v1/webhooks/${mine.id}`);
    expect(gone.status).toBe(204);
    expect(gone.body).toBeUndefined();
    expect((await clinic.api.delete(`/api/v1/webhooks/${mine.id}`)).status).toBe(404);
    expect(JSON.stringify((await clinic.api.get('/api/v1/webhooks?per_page=100')).body)).not.toContain(mine.id);
  });

  it('a deleted subscription gets no deliveries of later events', async () => {
    const db = srv.running.deps.database.db;
    const kept = (await clinic.api.post('/api/v1/webhooks', { url: 'https://example.com/kept', events: ['lead.created'] })).body;
    const dropped = (await clinic.api.post('/api/v1/webhooks', { url: 'https://example.com/dropped', events: ['lead.created'] })).body;
    await clinic.api.delete(`/api/v1/webhooks/${dropped.id}`);
    await clinic.api.post('/api/v1/leads', { email: 'after-delete@example.com' });
    const deliveries = await db
      .selectFrom('webhook_deliveries')
      .select('webhook_id')
      .where('webhook_id', 'in', [kept.id, dropped.id])
      .execute();
    expect(deliveries.map((d) => d.webhook_id)).toEqual([kept.id]);
  });

  it.each([
    ['no events', { url: 'https://example.com/h', events: [] }, 'events'],
    ['no events field', { url: 'https://example.com/h' }, 'events'],
    ['an unknown event', { url: 'https://example.com/h', events: ['appointment.deleted'] }, 'events.0'],
    ['events as a string', { url: 'https://example.com/h', events: 'lead.created' }, 'events'],
    ['no url', { events: ['lead.created'] }, 'url'],
    ['a non-URL', { url: 'not a url', events: ['lead.created'] }, 'url'],
    ['an ftp URL', { url: 'ftp://example.com/h', events: ['lead.created'] }, 'url'],
    ['a URL over 2048 characters', { url: `https://example.com/${'a'.repeat(2048)}`, events: ['lead.created'] }, 'url'],
    ['credentials in the URL', { url: 'https://user:pw@example.com/h', events: ['lead.created'] }, 'url'],
    ['an unknown field', { url: 'https://example.com/h', events: ['lead.created'], secret: 'mine' }, ''],
  ])('refuses %s with 400 invalid_input and writes nothing', async (_name, body, path) => {
    const before = await tableCounts(srv.running.deps.database);
    const res = await clinic.api.post('/api/v1/webhooks', body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_input');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await tableCounts(srv.running.deps.database)).toEqual(before);
  });

  it('refuses a DELETE id that is not a UUID with 400', async () => {
    const res = await clinic.api.delete('/api/v1/webhooks/hook-1');
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain('id');
  });

  it('allows plain-http and local receivers when dev tools are on', async () => {
    for (const url of ['http://127.0.0.1:9999/hook', 'http://localhost:3000/h', 'https://[::1]:8443/h']) {
      const res = await clinic.api.post('/api/v1/webhooks', { url, events: ['lead.created'] });
      expect({ url, status: res.status }).toEqual({ url, status: 201 });
    }
  });

  it.each([
    ['GET', '/api/v1/webhooks', undefined],
    ['POST', '/api/v1/webhooks', { url: 'https://example.com/h', events: ['lead.created'] }],
    ['DELETE', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000', undefined],
  ])('%s %s answers 401 without a valid key and 403 without webhooks:write', async (method, path, body) => {
    await expectGuarded(srv, clinic.clinic.id, { method, path, body, scope: 'webhooks:write' });
  });

  describe('with dev tools off (production policy)', () => {
    let prod: TestServer;
    let api: ApiClient;
    let dns: jest.SpyInstance;

    beforeAll(async () => {
      dns = fakeDns(DNS);
      prod = await startTestServer(backend, { devTools: false, allowPrivateWebhooks: false, runWorker: false });
      const db = prod.running.deps.database.db;
      const clinicRow = await db.insertInto('clinics').values({ name: 'Prod', timezone: 'UTC' }).returning('id').executeTakeFirstOrThrow();
      api = prod.client((await createApiKey(db, clinicRow.id, 'prod')).key);
    });
    afterAll(async () => {
      dns.mockRestore();
      await prod.close();
    });

    it.each([
      'http://hooks.example.test/h',
      'https://127.0.0.1/h',
      'https://127.1/h',
      'https://2130706433/h',
      'https://0x7f000001/h',
      'https://0177.0.0.1/h',
      'https://0.0.0.0/h',
      'https://0/h',
      'https://[::]/h',
      'https://[::1]/h',
      'https://[::ffff:10.0.0.1]/h',
      'https://[::ffff:7f00:1]/h',
      'https://[::127.0.0.1]/h',
      'https://[fe80::1]/h',
      'https://[fd12:3456::1]/h',
      'https://[ff02::1]/h',
      'https://10.1.2.3/h',
      'https://172.16.0.1/h',
      'https://192.168.1.10/h',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/h',
      'https://224.0.0.1/h',
      'https://255.255.255.255/h',
      'https://localhost/h',
      'https://localhost./h',
      'https://printer.local/h',
      'https://intranet.example.test/h',
      'https://metadata.example.test/h',
      'https://cgnat.example.test/h',
      'https://mixed.example.test/h',
      'https://v6-private.example.test/h',
      'https://v6-mapped.example.test/h',
      'https://does-not-resolve.example.test/h',
    ])('refuses %s with 400 invalid_input on the url field', async (url) => {
      const res = await api.post('/api/v1/webhooks', { url, events: ['lead.created'] });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_input');
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain('url');
    });

    it('accepts public https receivers, by address and by name', async () => {
      for (const url of [
        'https://hooks.example.test/h',
        'https://v6.example.test/h',
        'https://8.8.8.8/h',
        'https://[2606:4700:4700::1111]/h',
      ]) {
        const res = await api.post('/api/v1/webhooks', { url, events: ['lead.created'] });
        expect({ url, status: res.status }).toEqual({ url, status: 201 });
      }
    });
  });

  it('all three endpoints are in the OpenAPI document under webhooks:write', async () => {
    for (const [method, path, id] of [
      ['get', '/api/v1/webhooks', 'listWebhooks'],
      ['post', '/api/v1/webhooks', 'createWebhook'],
      ['delete', '/api/v1/webhooks/{id}', 'deleteWebhook'],
    ] as const) {
      const op = await openApiOperation(srv, method, path);
      expect(op.operationId).toBe(id);
      expect(op.description).toContain('webhooks:write');
      expect(op.responses['403']).toBeDefined();
    }
    expect(Object.keys((await openApiOperation(srv, 'post', '/api/v1/webhooks')).responses)).toContain('201');
    expect(Object.keys((await openApiOperation(srv, 'delete', '/api/v1/webhooks/{id}')).responses)).toEqual(
      expect.arrayContaining(['204', '404']),
    );
  });
});

describe('URL policy', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.1.1',
    '100.64.0.1',
    '100.127.255.254',
    '0.0.0.0',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '::',
    '::1',
    '::7f00:1',
    'fe80::1',
    'fc00::1',
    'fd00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::a00:1',
    'not-an-ip',
  ])('blocks %s', (ip) => expect(isBlockedAddress(ip)).toBe(true));

  // Issue 11: what a list of exceptions missed; only global unicast is allowed now.
  it.each([
    ['::ffff:0:7f00:1', 'SIIT ::ffff:0:0:0/96 of 127.0.0.1'],
    ['::ffff:0:a00:1', 'SIIT ::ffff:0:0:0/96 of 10.0.0.1'],
    ['2002:7f00:1::1', '6to4 of 127.0.0.1'],
    ['2002:a9fe:a9fe::1', '6to4 of 169.254.169.254'],
    ['2002:808:808::1', '6to4 of a public address (6to4 is not a public host)'],
    ['64:ff9b:1::a00:1', 'local-use NAT64 64:ff9b:1::/48'],
    ['64:ff9b::808:808', 'NAT64 64:ff9b::/96'],
    ['100::1', 'discard-only 100::/64'],
    ['2001::1', 'Teredo 2001::/32'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation 3fff::/20'],
    ['fec0::1', 'site-local'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['198.18.0.1', 'benchmarking'],
    ['::ffff:169.254.169.254', 'v4-mapped metadata address'],
  ])('blocks %s (%s)', (ip) => expect(isBlockedAddress(ip)).toBe(true));

  it.each(['::ffff:8.8.8.8', '2a01:4f8::1', '2001:4860:4860::8888'])('allows the global unicast %s', (ip) =>
    expect(isBlockedAddress(ip)).toBe(false),
  );

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::1'])(
    'allows %s',
    (ip) => expect(isBlockedAddress(ip)).toBe(false),
  );

  it('allows local http receivers in dev mode only', async () => {
    await expect(assertDeliverableUrl('http://127.0.0.1:9999/h', { allowPrivate: true })).resolves.toBeUndefined();
    await expect(assertDeliverableUrl('http://127.0.0.1:9999/h', { allowPrivate: false })).rejects.toThrow(/https/);
    await expect(assertDeliverableUrl('https://8.8.8.8/h', { allowPrivate: false })).resolves.toBeUndefined();
    await expect(assertDeliverableUrl('ftp://127.0.0.1/h', { allowPrivate: true })).rejects.toBeInstanceOf(UrlPolicyError);
  });

  it.each(['https://localhost/h', 'https://LOCALHOST./h', 'https://api.localhost/h', 'https://nas.local/h', 'https://db.internal/h'])(
    'refuses the local host name %s without asking DNS',
    async (url) => {
      const dns = fakeDns({});
      try {
        await expect(assertDeliverableUrl(url, { allowPrivate: false })).rejects.toThrow(/local host name/);
        expect(dns).not.toHaveBeenCalled();
      } finally {
        dns.mockRestore();
      }
    },
  );

  it('checks what a host name resolves to, every time it is asked (the delivery worker asks again)', async () => {
    const table: Record<string, string[]> = { 'rebind.example.test': ['93.184.216.34'] };
    const dns = fakeDns(table);
    try {
      await expect(assertDeliverableUrl('https://rebind.example.test/h', { allowPrivate: false })).resolves.toBeUndefined();
      table['rebind.example.test'] = ['127.0.0.1'];
      await expect(assertDeliverableUrl('https://rebind.example.test/h', { allowPrivate: false })).rejects.toThrow(
        /private, loopback or reserved/,
      );
      table['rebind.example.test'] = [];
      await expect(assertDeliverableUrl('https://rebind.example.test/h', { allowPrivate: false })).rejects.toBeInstanceOf(UrlPolicyError);
      expect(dns).toHaveBeenCalledTimes(3);
      // Dev mode does not look the host up at all.
      await expect(assertDeliverableUrl('https://rebind.example.test/h', { allowPrivate: true })).resolves.toBeUndefined();
      expect(dns).toHaveBeenCalledTimes(3);
    } finally {
      dns.mockRestore();
    }
  });
});

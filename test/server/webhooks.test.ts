/** Webhook subscriptions: per-key ownership, the secret shown once, and the URL policy. */
import { Webhook, WebhookCreated } from '../../contract';
import { createApiKey } from '../../server/services/api-keys';
import { assertDeliverableUrl, isBlockedAddress } from '../../server/webhooks/url-policy';
import { backends } from '../support/databases';
import { startTestServer, type ApiClient, type TestClinic, type TestServer } from '../support/server';

describe.each(backends())('webhook subscriptions on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let secondKey: ApiClient;

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic();
    other = await srv.clinic('Other');
    secondKey = srv.client((await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'second')).key);
  });
  afterAll(() => srv.close());

  it('creates a subscription with its signing secret, shown only once', async () => {
    const res = await clinic.api.post('/api/v1/webhooks', { url: 'https://hooks.zapier.com/hooks/standard/1/abc/', events: ['appointment.created', 'appointment.created'] });
    expect(res.status).toBe(201);
    const created = WebhookCreated.parse(res.body);
    expect(created.events).toEqual(['appointment.created']);
    expect(Buffer.from(created.signingSecret.slice(6), 'base64')).toHaveLength(24);
    const list = await clinic.api.get('/api/v1/webhooks');
    expect(list.body.data).toHaveLength(1);
    const listed = Webhook.parse(list.body.data[0]);
    expect(listed.id).toBe(created.id);
    expect(JSON.stringify(list.body)).not.toContain(created.signingSecret);
  });

  it('keeps subscriptions to the key that made them', async () => {
    const mine = (await clinic.api.post('/api/v1/webhooks', { url: 'https://example.com/a', events: ['lead.created'] })).body;
    expect((await secondKey.get('/api/v1/webhooks')).body.data).toEqual([]);
    expect((await secondKey.delete(`/api/v1/webhooks/${mine.id}`)).status).toBe(404);
    expect((await other.api.delete(`/api/v1/webhooks/${mine.id}`)).status).toBe(404);
    expect((await clinic.api.delete(`/api/v1/webhooks/${mine.id}`)).status).toBe(204);
    expect((await clinic.api.delete(`/api/v1/webhooks/${mine.id}`)).status).toBe(404);
  });

  it.each([
    ['no events', { url: 'https://example.com/h', events: [] }, 'events'],
    ['an unknown event', { url: 'https://example.com/h', events: ['appointment.deleted'] }, 'events.0'],
    ['a non-URL', { url: 'not a url', events: ['lead.created'] }, 'url'],
    ['an ftp URL', { url: 'ftp://example.com/h', events: ['lead.created'] }, 'url'],
  ])('refuses %s with 400', async (_name, body, path) => {
    const res = await clinic.api.post('/api/v1/webhooks', body);
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('refuses private, loopback and plain-http receivers when dev tools are off', async () => {
    const prod = await startTestServer(backend, { devTools: false });
    try {
      const db = prod.running.deps.database.db;
      const clinicRow = await db.insertInto('clinics').values({ name: 'Prod', timezone: 'UTC' }).returning('id').executeTakeFirstOrThrow();
      const api = prod.client((await createApiKey(db, clinicRow.id, 'prod')).key);
      for (const url of [
        'http://example.com/h',
        'https://127.0.0.1/h',
        'https://2130706433/h',
        'https://[::1]/h',
        'https://[::ffff:10.0.0.1]/h',
        'https://10.1.2.3/h',
        'https://169.254.169.254/latest/meta-data',
        'https://192.168.1.10/h',
        'https://localhost/h',
        'https://user:pw@example.com/h',
      ]) {
        const res = await api.post('/api/v1/webhooks', { url, events: ['lead.created'] });
        expect({ url, status: res.status }).toEqual({ url, status: 400 });
        expect(res.body.code).toBe('invalid_input');
      }
    } finally {
      await prod.close();
    }
  });
});

describe('URL policy', () => {
  it.each(['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1'])(
    'blocks %s',
    (ip) => expect(isBlockedAddress(ip)).toBe(true),
  );
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])('allows %s', (ip) => expect(isBlockedAddress(ip)).toBe(false));
  it('allows local http receivers in dev mode only', async () => {
    await expect(assertDeliverableUrl('http://127.0.0.1:9999/h', { allowPrivate: true })).resolves.toBeUndefined();
    await expect(assertDeliverableUrl('http://127.0.0.1:9999/h', { allowPrivate: false })).rejects.toThrow(/https/);
    await expect(assertDeliverableUrl('https://8.8.8.8/h', { allowPrivate: false })).resolves.toBeUndefined();
  });
});

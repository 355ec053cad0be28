/**
 * Issue 11, the attacks an outsider ran against the server, each sent again and seen refused:
 * a revoked key's webhooks, dev switches on by default or on a public listener, private webhook
 * targets and what the delivery log tells about them, brute-forced API keys, deep
 * external_metadata, headers (nosniff, no-store, HSTS, X-Request-Id), database constraint names,
 * data directory permissions and the production first start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config';
import { connectDatabase } from '../db/connect';
import { createApiKey, revokeApiKey } from '../services/api-keys';
import { startServer } from '../server';
import { backends } from './support/databases';
import { tableCounts } from './support/db-counts';
import { startReceiver, type Receiver } from './support/receiver';
import { rawRequest, startTestServer, type TestClinic, type TestServer } from './support/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const silent = pino({ level: 'silent' });

/** JSON text of an object nested `depth` levels deep: {"a":{"a":...{"a":1}}} (built as text: too deep for JSON.stringify). */
function nestedJson(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{"a":1}${'}'.repeat(depth - 1)}`;
}
const nested = (depth: number) => JSON.parse(nestedJson(depth)) as Record<string, unknown>;

describe('dev switches (QB_DEV_TOOLS, QB_ALLOW_PRIVATE_WEBHOOKS)', () => {
  it('are off unless set to 1, in development too', () => {
    expect(loadConfig({})).toMatchObject({ devTools: false, allowPrivateWebhooks: false });
    expect(loadConfig({ NODE_ENV: 'development' })).toMatchObject({ devTools: false, allowPrivateWebhooks: false });
    expect(loadConfig({ QB_DEV_TOOLS: '1', QB_ALLOW_PRIVATE_WEBHOOKS: '1' })).toMatchObject({ devTools: true, allowPrivateWebhooks: true });
    expect(() => loadConfig({ QB_DEV_TOOLS: 'yes' })).toThrow(/QB_DEV_TOOLS must be 1 or 0/);
  });

  it.each([
    [{ devTools: true, host: '0.0.0.0' }, /QB_DEV_TOOLS=1 is only allowed when the server listens on a loopback address/],
    [{ allowPrivateWebhooks: true, host: '0.0.0.0' }, /QB_ALLOW_PRIVATE_WEBHOOKS=1 is only allowed .* loopback/],
    [{ devTools: true, host: '192.168.1.20' }, /loopback/],
    [{ devTools: true, host: '::' }, /loopback/],
    [{ devTools: true, host: '127.0.0.1', production: true }, /not allowed with NODE_ENV=production/],
    [{ allowPrivateWebhooks: true, host: '127.0.0.1', production: true }, /not allowed with NODE_ENV=production/],
  ])('refuse to start with %p', async (config, message) => {
    await expect(
      startServer({
        config: { port: 0, dataDir: 'memory', databaseUrl: undefined, runWorker: false, ...config },
        logger: silent,
        seedDemo: false,
      }),
    ).rejects.toThrow(message);
  });

  it('start on loopback addresses', async () => {
    const running = await startServer({
      config: {
        port: 0,
        host: '127.0.0.1',
        dataDir: 'memory',
        databaseUrl: undefined,
        runWorker: false,
        devTools: true,
        allowPrivateWebhooks: true,
      },
      logger: silent,
      seedDemo: false,
    });
    try {
      expect((await rawRequest(running.url, 'POST', '/dev/clinics', { name: 'Local', timezone: 'UTC' })).status).toBe(201);
    } finally {
      await running.close();
    }
  });
});

describe.each(backends())('security on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  const receivers: Receiver[] = [];
  const db = () => srv.running.deps.database.db;

  async function receiver(): Promise<Receiver> {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  }

  beforeAll(async () => {
    srv = await startTestServer(backend, { webhookScheduleScale: 0.001 });
    clinic = await srv.clinic('Security Clinic');
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await srv.close();
  });

  describe('1. revoking an API key ends its webhook subscriptions', () => {
    it("delivers nothing more to a revoked key's subscription, and records no delivery for it", async () => {
      const r = await receiver();
      const { key, row } = await createApiKey(db(), clinic.clinic.id, 'integration', ['webhooks:write']);
      const sub = await srv.client(key).post('/api/v1/webhooks', { url: r.url, events: ['lead.created'] });
      expect(sub.status).toBe(201);
      expect((await clinic.api.post('/api/v1/leads', { full_name: 'Before Revoke', email: 'before@example.com' })).status).toBe(201);
      await r.waitFor(1);
      const statuses = () => db().selectFrom('webhook_deliveries').select('status').where('webhook_id', '=', sub.body.id).execute();
      // The attempt is recorded just after the receiver answered: revoke once it is.
      for (let i = 0; i < 100 && (await statuses())[0]?.status !== 'succeeded'; i++) await sleep(50);

      expect(await revokeApiKey(db(), clinic.clinic.id, row.id)).toBe(true);
      const webhook = await db().selectFrom('webhooks').selectAll().where('id', '=', sub.body.id).executeTakeFirstOrThrow();
      expect(webhook.status).toBe('disabled');
      expect(webhook.disabled_reason).toMatch(/API key .* revoked/);

      const lead = await clinic.api.post('/api/v1/leads', { full_name: 'After Revoke', email: 'after@example.com', phone: '+14155550100' });
      expect(lead.status).toBe(201);
      await sleep(1500); // several sweeps of the dispatcher
      expect(r.received).toHaveLength(1);
      expect(r.received.map((x) => x.body).join('')).not.toContain('after@example.com');
      expect(await statuses()).toEqual([{ status: 'succeeded' }]);
    });

    it('fails the deliveries still pending when the key is revoked, so none is sent later', async () => {
      const quiet = await startTestServer(backend, { runWorker: false });
      try {
        const c = await quiet.clinic('Pending Clinic');
        const qdb = quiet.running.deps.database.db;
        const { key, row } = await createApiKey(qdb, c.clinic.id, 'integration', ['webhooks:write']);
        const sub = await quiet.client(key).post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/h', events: ['lead.created'] });
        await c.api.post('/api/v1/leads', { email: 'pending@example.com' });
        const pending = () => qdb.selectFrom('webhook_deliveries').select('status').where('webhook_id', '=', sub.body.id).execute();
        expect(await pending()).toEqual([{ status: 'pending' }]);
        await revokeApiKey(qdb, c.clinic.id, row.id);
        expect(await pending()).toEqual([{ status: 'failed' }]);
      } finally {
        await quiet.close();
      }
    });
  });

  describe('2. private webhook targets and the delivery log', () => {
    it('refuses loopback, private and metadata targets without QB_ALLOW_PRIVATE_WEBHOOKS=1, naming the switch, even with dev tools on', async () => {
      const strict = await startTestServer(backend, { devTools: true, allowPrivateWebhooks: false, runWorker: false });
      try {
        const c = await strict.clinic('Strict Clinic');
        for (const url of [
          'http://127.0.0.1:8787/h',
          'https://127.0.0.1/h',
          'https://169.254.169.254/latest/meta-data',
          'https://[::ffff:0:7f00:1]/h',
          'https://[2002:7f00:1::1]/h',
          'https://[64:ff9b:1::a00:1]/h',
        ]) {
          const before = await tableCounts(strict.running.deps.database);
          const res = await c.api.post('/api/v1/webhooks', { url, events: ['lead.created'] });
          expect({ url, status: res.status, code: res.body.code }).toEqual({ url, status: 400, code: 'invalid_input' });
          expect(res.body.error).toContain('QB_ALLOW_PRIVATE_WEBHOOKS=1');
          expect(await tableCounts(strict.running.deps.database)).toEqual(before);
        }
      } finally {
        await strict.close();
      }
    });

    it("never echoes a redirect's Location in the delivery log", async () => {
      const r = await receiver();
      r.script({ status: 302, headers: { location: 'http://10.1.2.3:6379/internal-admin?token=secret' } });
      const sub = await clinic.api.post('/api/v1/webhooks', { url: r.url, events: ['lead.created'] });
      await clinic.api.post('/api/v1/leads', { email: 'redirect@example.com' });
      await r.waitFor(1);
      let attempts: Array<{ error: string | null; response_status: number | null }> = [];
      for (let i = 0; i < 100 && attempts.length === 0; i++) {
        await sleep(50);
        attempts = (await clinic.api.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).body.data[0]?.attempts ?? [];
      }
      expect(attempts[0]!.response_status).toBe(302);
      expect(attempts[0]!.error).toBe('redirect (HTTP 302) not followed');
      expect(JSON.stringify(attempts)).not.toMatch(/10\.1\.2\.3|internal-admin|secret/);
    });
  });

  describe('4. failed API authentications per client address', () => {
    let limited: TestServer;
    let validKey: string;
    const LIMIT = loadConfig({}).failedAuthPerMinute;
    const from = (address: string, key: string) => ({ authorization: `Bearer ${key}`, 'x-forwarded-for': address });

    beforeAll(async () => {
      limited = await startTestServer(backend, { runWorker: false, trustProxy: true, failedAuthPerMinute: LIMIT });
      const c = await limited.clinic('Throttle Clinic');
      validKey = c.api_key;
    });
    afterAll(() => limited.close());

    it('answers 429 with Retry-After after a bounded number of invalid keys; valid keys from other addresses go on', async () => {
      expect(LIMIT).toBeLessThanOrEqual(20);
      for (let i = 0; i < LIMIT; i++) {
        const res = await rawRequest(limited.url, 'GET', '/api/v1/me', undefined, from('203.0.113.7', `qbk_live_guess${i}`));
        expect(res.status).toBe(401);
      }
      for (const key of ['qbk_live_one_more_guess', validKey]) {
        const refused = await rawRequest(limited.url, 'GET', '/api/v1/me', undefined, from('203.0.113.7', key));
        expect(refused.status).toBe(429);
        expect(refused.body.code).toBe('rate_limited');
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      }
      expect((await rawRequest(limited.url, 'GET', '/api/v1/me', undefined, from('198.51.100.9', validKey))).status).toBe(200);
      expect((await rawRequest(limited.url, 'GET', '/api/v1/me', undefined, from('198.51.100.9', 'qbk_live_wrong'))).status).toBe(401);
    });

    it('does not take X-Forwarded-For from the client unless QB_TRUST_PROXY=1', async () => {
      const direct = await startTestServer(backend, { runWorker: false, failedAuthPerMinute: LIMIT });
      try {
        const statuses: number[] = [];
        for (let i = 0; i <= LIMIT; i++) {
          statuses.push((await rawRequest(direct.url, 'GET', '/api/v1/me', undefined, from(`192.0.2.${i}`, `qbk_live_guess${i}`))).status);
        }
        expect(statuses.slice(0, LIMIT).every((s) => s === 401)).toBe(true);
        expect(statuses[LIMIT]).toBe(429);
      } finally {
        await direct.close();
      }
    });
  });

  describe('5. external_metadata depth and size', () => {
    let clinic: TestClinic; // one without webhook subscriptions: nothing is written in the background
    beforeAll(async () => {
      clinic = await srv.clinic('Metadata Clinic');
    });

    it.each([
      ['nested 5,000 deep (10 KB)', nestedJson(5000), /nested at most 10 levels/],
      ['nested 11 deep', nestedJson(11), /nested at most 10 levels/],
      ['over 4 KB', JSON.stringify({ blob: 'x'.repeat(5000) }), /at most 4096 bytes/],
    ])('refuses external_metadata %s with 400 on POST and PATCH /leads, writing nothing', async (_name, metadata, message) => {
      const lead = await clinic.api.post('/api/v1/leads', { email: 'meta@example.com' });
      const before = await tableCounts(srv.running.deps.database);
      for (const res of [
        await clinic.api.request('POST', '/api/v1/leads', `{"email":"deep@example.com","external_metadata":${metadata}}`),
        await clinic.api.request('PATCH', `/api/v1/leads/${lead.body.id}`, `{"external_metadata":${metadata}}`),
      ]) {
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('invalid_input');
        expect(res.body.details).toEqual(
          expect.arrayContaining([expect.objectContaining({ path: 'external_metadata', message: expect.stringMatching(message) })]),
        );
      }
      expect(await tableCounts(srv.running.deps.database)).toEqual(before);
    });

    it('accepts metadata 10 levels deep', async () => {
      const res = await clinic.api.post('/api/v1/leads', { email: 'ten@example.com', external_metadata: nested(10) });
      expect(res.status).toBe(201);
      expect(res.body.external_metadata).toEqual(nested(10));
    });
  });

  describe('7. response headers, request ids, error messages', () => {
    it('sends nosniff and no-store on API answers, errors and unknown routes', async () => {
      for (const res of [
        await clinic.api.get('/api/v1/me'),
        await rawRequest(srv.url, 'GET', '/api/v1/me'),
        await rawRequest(srv.url, 'GET', '/no/such/route'),
        await rawRequest(srv.url, 'GET', '/api/v1/openapi.json'),
      ]) {
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('strict-transport-security')).toBeNull(); // plain http, no trusted proxy
      }
    });

    it('sends HSTS when a trusted proxy says the request came over https, and only then', async () => {
      const proxied = await startTestServer(backend, { runWorker: false, trustProxy: true });
      try {
        const https = await rawRequest(proxied.url, 'GET', '/api/v1/me', undefined, { 'x-forwarded-proto': 'https' });
        expect(https.headers.get('strict-transport-security')).toBe('max-age=31536000');
      } finally {
        await proxied.close();
      }
      const untrusted = await clinic.api.request('GET', '/api/v1/me', undefined, { 'x-forwarded-proto': 'https' });
      expect(untrusted.headers.get('strict-transport-security')).toBeNull();
    });

    it.each([['<script>alert(1)</script>'], ['x'.repeat(7000)], ['a'.repeat(129)], ['id with spaces'], ['evil\u00e9']])(
      'replaces an unsafe X-Request-Id (%#) with a fresh one',
      async (id) => {
        const res = await fetch(`${srv.url}/api/v1/me`, {
          headers: { authorization: `Bearer ${clinic.api_key}`, 'x-request-id': id.replace(/[^\x20-\x7e]/g, '?') },
        });
        const echoed = res.headers.get('x-request-id')!;
        expect(echoed).not.toContain('<');
        expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
      },
    );

    it('keeps a short, safe X-Request-Id', async () => {
      for (const id of ['req-123', 'zap:abc.DEF_9', 'a'.repeat(128)]) {
        const res = await clinic.api.request('GET', '/api/v1/me', undefined, { 'x-request-id': id });
        expect(res.headers.get('x-request-id')).toBe(id);
      }
    });

    it('explains a lead left without phone and email in words, not by the constraint name', async () => {
      const lead = await clinic.api.post('/api/v1/leads', { email: 'check@example.com' });
      const res = await clinic.api.patch(`/api/v1/leads/${lead.body.id}`, { email: null, phone: null });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_input');
      expect(JSON.stringify(res.body)).not.toMatch(/leads_check|_check|constraint/);
      expect(res.body.error).toMatch(/phone or an email/);
      expect((await clinic.api.get(`/api/v1/leads/${lead.body.id}`)).body.email).toBe('check@example.com');
    });
  });
});

describe('7. data directory and the production first start', () => {
  it('creates the embedded database directory 0700 with 0600 files, and tightens an existing one', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'qb-perm-'));
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    fs.writeFileSync(path.join(dataDir, 'old-secret'), 'x', { mode: 0o644 });
    const umask = process.umask();
    try {
      const database = await connectDatabase({ dataDir });
      await database.close();
      // Closing the database gives the process its own umask back (077 only while it is open).
      expect(process.umask(umask).toString(8)).toBe(umask.toString(8));
      const modes: Array<[string, number]> = [];
      const walk = (dir: string) => {
        modes.push([dir, fs.statSync(dir).mode & 0o777]);
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (entry.isFile()) modes.push([full, fs.statSync(full).mode & 0o777]);
        }
      };
      walk(dataDir);
      expect(modes.length).toBeGreaterThan(10);
      expect(modes[0]).toEqual([dataDir, 0o700]);
      expect(modes.filter(([, mode]) => (mode & 0o077) !== 0)).toEqual([]);
    } finally {
      process.umask(umask);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('creates no demo@qualifybase.local user on a production first start', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'qb-first-'));
    const credentialsFile = path.join(root, 'first.credentials');
    const running = await startServer({
      config: {
        port: 0,
        host: '127.0.0.1',
        dataDir: 'memory',
        databaseUrl: undefined,
        runWorker: false,
        devTools: false,
        allowPrivateWebhooks: false,
        production: true,
        credentialsFile,
      },
      logger: silent,
    });
    try {
      expect(running.demo?.clinic.api_key).toMatch(/^qbk_live_/);
      expect(running.demo?.email).toBeUndefined();
      expect(running.demo?.credentialsFile).toBe(credentialsFile);
      expect(fs.readFileSync(credentialsFile, 'utf8')).toContain(`QB_API_KEY=${running.demo?.clinic.api_key}`);
      expect(await running.deps.database.db.selectFrom('users').select('email').execute()).toEqual([]);
    } finally {
      await running.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

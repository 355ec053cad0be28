/**
 * Operations endpoints: GET /healthz and GET /readyz (no key, no data), and GET /metrics in the
 * Prometheus text format behind QB_METRICS_TOKEN (404 while unset, 401 without the token).
 */
import { sql } from 'kysely';
import { backends } from './support/databases';
import { startReceiver, type Receiver } from './support/receiver';
import { rawRequest, startTestServer, type TestClinic, type TestServer } from './support/server';

const TOKEN = 'metrics-token-for-tests-0123456789';

/** The value of one sample line of a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe.each(backends())('operations endpoints on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let receiver: Receiver;
  const metrics = (authorization?: string) => rawRequest(srv.url, 'GET', '/metrics', undefined, authorization ? { authorization } : {});

  beforeAll(async () => {
    srv = await startTestServer(backend, { metricsToken: TOKEN, webhookScheduleScale: 0.001, failedAuthPerMinute: 3 });
    clinic = await srv.clinic('Ops Clinic');
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await srv.close();
  });

  it('GET /healthz answers 200 without a key and tells nothing else', async () => {
    const res = await rawRequest(srv.url, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('GET /readyz checks the database, the migrations and the queue', async () => {
    const res = await rawRequest(srv.url, 'GET', '/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok', queue: 'ok', server: 'ok' } });
  });

  it('GET /readyz answers 503 while a migration is not applied', async () => {
    const db = srv.running.deps.database.db;
    const last = await sql<{
      name: string;
      timestamp: string;
    }>`select name, timestamp from kysely_migration order by name desc limit 1`.execute(db);
    const { name, timestamp } = last.rows[0]!;
    await sql`delete from kysely_migration where name = ${name}`.execute(db);
    try {
      const res = await rawRequest(srv.url, 'GET', '/readyz');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'not ready', checks: { database: 'ok', migrations: 'pending', queue: 'ok', server: 'ok' } });
    } finally {
      await sql`insert into kysely_migration (name, timestamp) values (${name}, ${timestamp})`.execute(db);
    }
  });

  it('GET /readyz reports the queue not in this process when QB_WORKER=off', async () => {
    const apiOnly = await startTestServer(backend, { runWorker: false });
    try {
      const res = await rawRequest(apiOnly.url, 'GET', '/readyz');
      expect(res.status).toBe(200);
      expect(res.body.checks.queue).toBe('not in this process');
    } finally {
      await apiOnly.close();
    }
  });

  it('GET /metrics is 404 without QB_METRICS_TOKEN, and 401 without the right token', async () => {
    const off = await startTestServer(backend, { runWorker: false });
    try {
      expect((await rawRequest(off.url, 'GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    } finally {
      await off.close();
    }
    for (const auth of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, TOKEN, `Bearer ${clinic.api_key}`]) {
      const res = await metrics(auth);
      expect(res.status).toBe(401);
      expect(String(res.body)).not.toContain('qualifybase_');
    }
  });

  it('GET /metrics counts requests by route pattern and status, webhook deliveries, queue depth and rate-limit refusals', async () => {
    const sub = await clinic.api.post('/api/v1/webhooks', { url: receiver.url, events: ['lead.created'] });
    expect(sub.status).toBe(201);
    const lead = await clinic.api.post('/api/v1/leads', { email: 'metrics@example.com' });
    expect((await clinic.api.get(`/api/v1/leads/${lead.body.id}`)).status).toBe(200);
    await receiver.waitFor(1);
    for (let i = 0; i < 4; i++) await rawRequest(srv.url, 'GET', '/api/v1/me', undefined, { authorization: 'Bearer qbk_live_nope' });

    // The attempt's bookkeeping lands just after the receiver answered.
    let text = '';
    for (let i = 0; i < 50; i++) {
      const res = await metrics(`Bearer ${TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      text = String(res.body);
      if (sample(text, 'qualifybase_webhook_deliveries_finished_total', { status: 'succeeded' })) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      sample(text, 'qualifybase_http_requests_total', { method: 'POST', route: '/api/v1/leads', status: '201' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'qualifybase_http_requests_total', { method: 'GET', route: '/api/v1/leads/:id', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(lead.body.id); // route patterns, never raw paths
    expect(
      sample(text, 'qualifybase_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/leads', status: '201' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toContain('qualifybase_http_request_duration_seconds_bucket{le="0.005"');
    expect(sample(text, 'qualifybase_webhook_attempts_total', { outcome: '2xx' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'qualifybase_webhook_deliveries_finished_total', { status: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'qualifybase_webhook_queue_depth')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'qualifybase_webhook_attempts_in_flight')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'qualifybase_webhook_deliveries_waiting')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'qualifybase_webhook_circuits_open')).toBe(0);
    expect(sample(text, 'qualifybase_webhook_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'qualifybase_rate_limit_refusals_total', { limiter: 'failed_auth' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'qualifybase_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('reports pending deliveries and the age of the oldest one', async () => {
    const apiOnly = await startTestServer(backend, { runWorker: false, metricsToken: TOKEN });
    try {
      const c = await apiOnly.clinic('Queue Clinic');
      await c.api.post('/api/v1/webhooks', { url: receiver.url, events: ['lead.created'] });
      await c.api.post('/api/v1/leads', { email: 'queued1@example.com' });
      await c.api.post('/api/v1/leads', { email: 'queued2@example.com' });
      await apiOnly.running.deps.database.db
        .updateTable('webhook_deliveries')
        .set({ created_at: new Date(Date.now() - 90_000) })
        .execute();
      const text = String((await rawRequest(apiOnly.url, 'GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` })).body);
      expect(sample(text, 'qualifybase_webhook_queue_depth')).toBe(2);
      expect(sample(text, 'qualifybase_webhook_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(89);
    } finally {
      await apiOnly.close();
    }
  });
});

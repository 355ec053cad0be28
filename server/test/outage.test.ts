/**
 * Temporary failures are 503 service_unavailable with Retry-After, never a 500, and retried writes
 * land exactly once:
 * - PostgreSQL stopped and started again under a burst of writes sent with Idempotency-Key: 503 +
 *   Retry-After during the outage (the dashboard's pages too), /readyz not ready, the server
 *   recovers by itself, and once each failed write is retried with its key, every write is in the
 *   database exactly once; a pool that stays exhausted answers 503 too;
 * - on both backends, an API request that arrives once the server is shutting down is 503 with
 *   Retry-After (and /readyz not ready) while the request already running finishes.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import pino from 'pino';
import { connectDatabase, type DatabaseHandle } from '../db/connect';
import { DATABASE_RETRY_AFTER_SECONDS, temporaryFailure } from '../errors';
import { startServer, type RunningServer } from '../server';
import { createApiKey } from '../services/api-keys';
import { backends, createPostgresDatabase } from './support/databases';
import { expectHeadersDeclared } from './support/declared-headers';
import { startControlledPostgres, type ControlledPostgres } from './support/postgres-control';
import { apiClient, rawRequest, startTestServer, type ApiClient, type ApiResponse } from './support/server';
import { waitUntil } from './support/wait';

describe('temporary failures', () => {
  const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each([
    ['the database server shutting down', pgError('57P01', 'terminating connection due to administrator command')],
    ['the database server starting', pgError('57P03', 'the database system is starting up')],
    ['a connection failure', pgError('08006')],
    ['too many connections', pgError('53300')],
    ['a deadlock victim', pgError('40P01')],
    ['connection refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['connection refused on every address', Object.assign(new AggregateError([pgError('ECONNREFUSED')]), { message: '' })],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['the pool exhausted', new Error('timeout exceeded when trying to connect')],
    ['a broken client', new Error('Client has encountered a connection error and is not queryable')],
    ['a closed pool', new Error('Cannot use a pool after calling end on the pool')],
    ['a closed embedded database', new Error('PGlite is closed')],
  ])('answers %s with 503 service_unavailable and Retry-After', (_what, error) => {
    expect(temporaryFailure(error)).toMatchObject({
      status: 503,
      code: 'service_unavailable',
      headers: { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
    });
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a unique violation', pgError('23505')],
    ['a syntax error', pgError('42601')],
    ['a thrown string', 'boom'],
  ])('leaves %s to the 500 of an unexpected error', (_what, error) => {
    expect(temporaryFailure(error)).toBeUndefined();
  });
});

/** One write of the burst: its Idempotency-Key is also in its body, to find it in the database. */
interface Write {
  key: string;
  /** The operation, as the OpenAPI document names it. */
  template: string;
  path: string;
  body: Record<string, string>;
}

/** Sends writes from `workers` loops until stopped; records every answer and the writes not acknowledged. */
function burst(api: ApiClient, campaignId: string, workers: number) {
  const answers: Array<ApiResponse & { write: Write }> = [];
  const acknowledged: Write[] = [];
  const unacknowledged: Write[] = [];
  let stopped = false;
  let n = 0;
  const next = (): Write => {
    const key = randomUUID();
    return n++ % 2 === 0
      ? { key, template: '/api/v1/leads', path: '/api/v1/leads', body: { email: `${key}@outage.test` } }
      : {
          key,
          template: '/api/v1/campaigns/{id}/contacts',
          path: `/api/v1/campaigns/${campaignId}/contacts`,
          body: { name: `Outage ${key}`, phone: '+14155550100', interest: 'implants', city: 'Boston' },
        };
  };
  const loop = async () => {
    while (!stopped) {
      const write = next();
      const res = await send(api, write).catch(() => undefined);
      if (res) answers.push(Object.assign(res, { write }));
      (res?.status === 201 ? acknowledged : unacknowledged).push(write);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, loop));
  return {
    answers,
    acknowledged,
    unacknowledged,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

const send = (api: ApiClient, write: Write) => api.request('POST', write.path, write.body, { 'Idempotency-Key': write.key });

/** The 503 of a temporary failure: JSON service_unavailable with a Retry-After in seconds. */
function expectServiceUnavailable(res: ApiResponse) {
  expect({ status: res.status, code: res.body?.code, retryAfter: /^[1-9]\d*$/.test(res.headers.get('retry-after') ?? '') }).toEqual({
    status: 503,
    code: 'service_unavailable',
    retryAfter: true,
  });
}

for (const backend of backends().filter((b) => b === 'postgres')) {
  describe(`a database outage under a burst of writes on ${backend}`, () => {
    let postgres: ControlledPostgres;
    let database: DatabaseHandle;
    let running: RunningServer;

    beforeAll(async () => {
      postgres = await startControlledPostgres();
      database = await connectDatabase({ databaseUrl: await postgres.createDatabase('outage') });
      running = await startServer({
        database,
        config: { port: 0, host: '127.0.0.1', devTools: true, rateLimitPerMinute: 1_000_000 },
        logger: pino({ level: 'silent' }),
        seedDemo: false,
      });
    });
    afterAll(async () => {
      await running?.close();
      await database?.close();
      await postgres?.stop();
    });

    it('answers 503 + Retry-After while PostgreSQL is down, recovers by itself, and keeps every retried write exactly once', async () => {
      const created = await rawRequest(running.url, 'POST', '/dev/clinics', { name: 'Outage Clinic', timezone: 'UTC' });
      const api = apiClient(running.url, created.body.api_key);
      const doc = (await rawRequest(running.url, 'GET', '/api/v1/openapi.json')).body;
      const load = burst(api, created.body.campaigns[0].id, 6);
      await waitUntil('writes acknowledged before the outage', () => load.acknowledged.length >= 20, 60_000);
      await postgres.pause();
      const answeredBefore = load.answers.length;
      await waitUntil(
        '503s during the outage',
        () => load.answers.slice(answeredBefore).filter((r) => r.status === 503).length >= 12,
        60_000,
      );
      const notReady = await rawRequest(running.url, 'GET', '/readyz');
      expect({ status: notReady.status, database: notReady.body.checks.database }).toEqual({ status: 503, database: 'failed' });
      const dashboard = await fetch(`${running.url}/dashboard/calendar`, {
        headers: { cookie: 'qb_session=some-session' },
        redirect: 'manual',
      });
      expect({ status: dashboard.status, retryAfter: dashboard.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '5' });
      await postgres.resume();

      await waitUntil('/readyz ready again', async () => (await rawRequest(running.url, 'GET', '/readyz')).status === 200, 60_000);
      const acknowledgedBefore = load.acknowledged.length;
      await waitUntil('writes acknowledged after the outage', () => load.acknowledged.length >= acknowledgedBefore + 20, 60_000);
      await load.stop();

      // Every answer was a success or a temporary failure with Retry-After (never a 500), as declared.
      for (const res of load.answers.filter((r) => r.status !== 201)) expectServiceUnavailable(res);
      for (const res of load.answers) expectHeadersDeclared(doc, 'post', res.write.template, res);
      expect(load.answers.filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(12);
      // Retried with their keys, the failed writes all succeed (run now, or replayed if they had committed).
      for (const write of load.unacknowledged) expect((await send(api, write)).status).toBe(201);
      const writes = [...load.acknowledged, ...load.unacknowledged];
      const leads = await database.db.selectFrom('leads').select('email').where('email', 'like', '%@outage.test').execute();
      const contacts = await database.db.selectFrom('campaign_contacts').select('name').where('name', 'like', 'Outage %').execute();
      const stored = [...leads.map((l) => l.email!.replace('@outage.test', '')), ...contacts.map((c) => c.name.replace('Outage ', ''))];
      expect(stored.slice().sort()).toEqual(writes.map((w) => w.key).sort());
    }, 300_000);
  });
}

for (const backend of backends().filter((b) => b === 'postgres')) {
  describe(`an exhausted connection pool on ${backend}`, () => {
    it('answers 503 + Retry-After once a request has waited its time for a connection, and serves again when one is free', async () => {
      const database = await connectDatabase({ databaseUrl: await createPostgresDatabase(), maxConnections: 1 });
      const running = await startServer({
        database,
        config: { port: 0, host: '127.0.0.1', devTools: true, runWorker: false },
        logger: pino({ level: 'silent' }),
        seedDemo: false,
      });
      try {
        const created = await rawRequest(running.url, 'POST', '/dev/clinics', { name: 'Pool Clinic', timezone: 'UTC' });
        const api = apiClient(running.url, created.body.api_key);
        const doc = (await rawRequest(running.url, 'GET', '/api/v1/openapi.json')).body;
        const held = await database.pool!.connect(); // the pool's only connection, busy elsewhere
        try {
          const res = await api.get('/api/v1/me');
          expectServiceUnavailable(res);
          expectHeadersDeclared(doc, 'get', '/api/v1/me', res);
        } finally {
          held.release();
        }
        expect((await api.get('/api/v1/me')).status).toBe(200);
      } finally {
        await running.close();
        await database.close();
      }
    });
  });
}

/** A raw HTTP/1.1 connection, so requests can be sent before, and pipelined after, the shutdown begins. */
function connection(url: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    write: (text: string) => new Promise<void>((resolve, reject) => socket.write(text, (e) => (e ? reject(e) : resolve()))),
    /** Every response received until the server closed the connection. */
    responses: async () => {
      await closed;
      return parseResponses(received);
    },
  };
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
}

function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1')) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length']);
    const body = rest.slice(end + 4, end + 4 + length);
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(body) });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

const post = (path: string, key: string, body: string, withBody = true) =>
  `POST ${path} HTTP/1.1\r\nHost: qb.test\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${withBody ? body : ''}`;

describe.each(backends())('shutting down on %s', (backend) => {
  it('answers an API request that arrives after the shutdown began with 503 + Retry-After, and finishes the one running', async () => {
    const srv = await startTestServer(backend, { runWorker: false });
    try {
      const clinic = await srv.clinic('Shutdown Clinic');
      const doc = (await rawRequest(srv.url, 'GET', '/api/v1/openapi.json')).body;
      const { db } = srv.running.deps.database;
      const { key, row } = await createApiKey(db, clinic.clinic.id, 'shutdown');
      const running = JSON.stringify({ email: 'running@shutdown.test' });
      const conn = connection(srv.url);
      // The first request's headers, not yet its body: the server has counted its key and waits.
      await conn.write(post('/api/v1/leads', key, running, false));
      await waitUntil(
        'the first request to be under way',
        async () =>
          (await db.selectFrom('api_keys').select('last_used_at').where('id', '=', row.id).executeTakeFirstOrThrow()).last_used_at !== null,
        30_000,
      );
      const closing = srv.running.close();
      // Its body, then two requests that arrive during the shutdown, on the same connection.
      await conn.write(
        `${running}GET /readyz HTTP/1.1\r\nHost: qb.test\r\n\r\n${post('/api/v1/leads', key, JSON.stringify({ email: 'late@shutdown.test' }))}`,
      );
      const [first, ready, late] = await conn.responses();
      await closing;
      expect(first!.status).toBe(201);
      expect({ status: ready!.status, body: ready!.body }).toEqual({
        status: 503,
        body: { status: 'not ready', checks: expect.objectContaining({ database: 'ok', server: 'shutting down' }) },
      });
      expect({
        status: late!.status,
        code: late!.body.code,
        retryAfter: late!.headers['retry-after'],
        connection: late!.headers.connection,
      }).toEqual({
        status: 503,
        code: 'service_unavailable',
        retryAfter: '2',
        connection: 'close',
      });
      expect(late!.headers['ratelimit-policy']).toBe('"default";q=120;w=60');
      expectHeadersDeclared(doc, 'post', '/api/v1/leads', { status: late!.status, headers: new Headers(late!.headers) });
      const emails = (await db.selectFrom('leads').select('email').where('email', 'like', '%@shutdown.test').execute()).map((l) => l.email);
      expect(emails).toEqual(['running@shutdown.test']);
    } finally {
      await srv.close();
    }
  });
});

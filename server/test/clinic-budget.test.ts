/**
 * Issue 19, item 2: the rate limit is per key and keys are free, so a clinic with many keys went
 * far past its 120/minute. A budget per clinic, counted in the key statement over all the
 * clinic's keys and every server instance on the database, refuses the excess; other clinics go on.
 */
import pino from 'pino';
import type { ServerConfig } from '../config';
import { connectDatabase, type DatabaseHandle } from '../db/connect';
import { rateLimitRefusals } from '../metrics';
import { startServer, type RunningServer } from '../server';
import { createApiKey } from '../services/api-keys';
import { createClinic } from '../services/clinics';
import { backends, createPostgresDatabase, type Backend } from './support/databases';
import { apiClient, type ApiResponse } from './support/server';

const CLINIC_LIMIT = 12;

/** qualifybase_rate_limit_refusals_total of one limiter, in this process. */
async function refusals(limiter: string): Promise<number> {
  return (await rateLimitRefusals.get()).values.find((v) => v.labels.limiter === limiter)?.value ?? 0;
}

/** Two handles on one database, as two server processes would have (PGlite: one process owns it, so one handle). */
async function sharedDatabase(backend: Backend): Promise<[DatabaseHandle, DatabaseHandle]> {
  if (backend === 'pglite') {
    const only = await connectDatabase({ dataDir: 'memory' });
    return [only, only];
  }
  const url = await createPostgresDatabase();
  return [await connectDatabase({ databaseUrl: url }), await connectDatabase({ databaseUrl: url })];
}

function start(database: DatabaseHandle, config: Partial<ServerConfig> = {}): Promise<RunningServer> {
  return startServer({
    database,
    config: { port: 0, host: '127.0.0.1', runWorker: false, clinicRateLimitPerMinute: CLINIC_LIMIT, ...config },
    logger: pino({ level: 'silent' }),
    seedDemo: false,
  });
}

/** Fixed one-minute windows: start a burst early in a minute so it cannot straddle two. */
async function atStartOfMinute(): Promise<void> {
  const second = new Date().getSeconds();
  if (second > 40) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
}

describe.each(backends())('the per-clinic request budget on %s', (backend) => {
  let databases: [DatabaseHandle, DatabaseHandle];
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    databases = await sharedDatabase(backend);
    a = await start(databases[0]);
    b = await start(databases[1]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await databases[0].close();
    if (databases[1] !== databases[0]) await databases[1].close();
  });

  async function clinicWithKeys(name: string, keys: number): Promise<string[]> {
    const clinic = await createClinic(databases[0].db, name, 'UTC');
    const more = await Promise.all(Array.from({ length: keys - 1 }, (_, i) => createApiKey(databases[0].db, clinic.clinic.id, `key ${i}`)));
    return [clinic.api_key, ...more.map((k) => k.key)];
  }

  it("refuses a clinic's keys together past its budget, on every instance, with a 429 that names the clinic's budget", async () => {
    const keys = await clinicWithKeys('Many Keys', 6);
    const [otherKey] = await clinicWithKeys('Neighbour', 1);
    await atStartOfMinute();
    const [clinicBefore, keyBefore] = [await refusals('clinic'), await refusals('api_key')];
    // 30 requests over six keys (5 each, far inside the 120 of each key), half through each instance.
    const answers: ApiResponse[] = await Promise.all(
      Array.from({ length: 30 }, (_, i) => apiClient((i % 2 ? a : b).url, keys[i % keys.length]!).get('/api/v1/me')),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(CLINIC_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - CLINIC_LIMIT);
    expect([(await refusals('clinic')) - clinicBefore, (await refusals('api_key')) - keyBefore]).toEqual([30 - CLINIC_LIMIT, 0]);
    const refused = answers.find((r) => r.status === 429)!;
    expect(refused.body.code).toBe('rate_limited');
    expect(refused.body.error).toMatch(
      new RegExp(`${CLINIC_LIMIT} requests per minute exceeded for this clinic \\(all its API keys together\\)`),
    );
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The pinned per-key fields keep their shape; RateLimit says what the key can still send (nothing: the clinic's budget is spent).
    expect(refused.headers.get('ratelimit-policy')).toBe('"default";q=120;w=60');
    expect(refused.headers.get('ratelimit')).toBe(`"default";r=0;t=${retryAfter}`);
    expect(refused.headers.get('x-qualifybase-clinic-ratelimit-policy')).toBe(`"clinic";q=${CLINIC_LIMIT};w=60`);
    expect(refused.headers.get('x-qualifybase-clinic-ratelimit')).toBe(`"clinic";r=0;t=${retryAfter}`);
    // Every remaining count of the clinic is handed out once.
    const clinicLeft = answers
      .filter((r) => r.status === 200)
      .map((r) => Number(/r=(\d+)/.exec(r.headers.get('x-qualifybase-clinic-ratelimit') ?? '')?.[1]))
      .sort((x, y) => x - y);
    expect(clinicLeft).toEqual(Array.from({ length: CLINIC_LIMIT }, (_, i) => i));
    // Another clinic on the same server is not touched.
    const neighbour = await apiClient(a.url, otherKey!).get('/api/v1/me');
    expect(neighbour.status).toBe(200);
    expect(neighbour.headers.get('ratelimit')).toMatch(new RegExp(`^"default";r=${CLINIC_LIMIT - 1};t=\\d+$`));
    expect(neighbour.headers.get('x-qualifybase-clinic-ratelimit')).toMatch(new RegExp(`^"clinic";r=${CLINIC_LIMIT - 1};t=\\d+$`));
  });

  it("does not let one key over its own limit use up its clinic's budget", async () => {
    const perKey = await start(databases[0], { rateLimitPerMinute: 3 });
    try {
      const [noisy, quiet] = await clinicWithKeys('Noisy Key', 2);
      await atStartOfMinute();
      const noisyAnswers = await Promise.all(Array.from({ length: 20 }, () => apiClient(perKey.url, noisy!).get('/api/v1/me')));
      expect(noisyAnswers.filter((r) => r.status === 200)).toHaveLength(3);
      const refused = noisyAnswers.find((r) => r.status === 429)!;
      expect(refused.body.error).toMatch(/3 requests per minute exceeded for this API key/);
      // The clinic counted only the 3 the key allowed: its other key has the rest of the budget.
      const quietAnswer = await apiClient(perKey.url, quiet!).get('/api/v1/me');
      expect(quietAnswer.status).toBe(200);
      expect(quietAnswer.headers.get('x-qualifybase-clinic-ratelimit')).toMatch(new RegExp(`^"clinic";r=${CLINIC_LIMIT - 4};t=\\d+$`));
      // RateLimit is the tighter of the two budgets: the key's own 3 here.
      expect(quietAnswer.headers.get('ratelimit')).toMatch(/^"default";r=2;t=\d+$/);
    } finally {
      await perKey.close();
    }
  });
});

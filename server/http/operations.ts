/**
 * Operations endpoints, outside /api/v1 and without an API key:
 * - GET /healthz: the process is up (200 {"status":"ok"}).
 * - GET /readyz: the database answers, every migration is applied, and the webhook queue runs
 *   (when this process delivers webhooks); 200 or 503, naming only which check failed.
 * - GET /metrics: Prometheus text (prom-client), only with QB_METRICS_TOKEN set and sent as
 *   `Authorization: Bearer <token>`: 404 while unset, 401 without the token.
 * Plus the middleware that counts every request for /metrics by method, route pattern and status.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { sql } from 'kysely';
import { timingSafeEqual } from 'node:crypto';
import type { ApiApp } from './api-app';
import type { AppEnv, ServerDeps } from '../context';
import { migrations } from '../db/migrations';
import { httpDuration, httpRequests, oldestPendingAge, queueDepth, rateLimitRefusals, registry } from '../metrics';
import { pendingDeliveries } from '../services/webhook-deliveries';
import { refusalCounted } from './auth-throttle';
import { ApiError } from '../errors';

/** Counts and times every request; labels by the route pattern, never the raw path. */
export function requestMetrics(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    let route = routePath(c, -1) || 'unmatched';
    if (status === 404 && route.endsWith('*')) route = 'unmatched';
    const labels = { method: c.req.method, route, status: String(status) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, (performance.now() - started) / 1000);
    if (status === 429 && c.req.path.startsWith('/api/v1/') && !refusalCounted(c)) rateLimitRefusals.inc({ limiter: 'api_key' });
  };
}

type Check = 'ok' | 'failed' | 'pending' | 'stopped' | 'not in this process' | 'shutting down';

async function readiness(deps: ServerDeps): Promise<Record<string, Check>> {
  const { db } = deps.database;
  const checks: Record<string, Check> = { database: 'failed', migrations: 'failed', queue: 'failed' };
  try {
    await sql`select 1`.execute(db);
    checks.database = 'ok';
    const applied = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const names = new Set(applied.rows.map((r) => r.name));
    checks.migrations = Object.keys(migrations).every((m) => names.has(m)) ? 'ok' : 'pending';
  } catch {
    // leave as failed
  }
  const queue = deps.webhookQueue;
  checks.queue = !queue?.runsHere ? 'not in this process' : queue.running() ? 'ok' : 'stopped';
  checks.server = deps.stopping ? 'shutting down' : 'ok';
  return checks;
}

/** The queue gauges, from pending deliveries alone (an index of them): cheap at any table size. */
async function refreshQueueGauges(deps: ServerDeps): Promise<void> {
  const pending = await pendingDeliveries(deps.database.db);
  queueDepth.set(pending.count);
  oldestPendingAge.set(pending.oldestAgeSeconds);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '', 'utf8');
  const expected = Buffer.from(token, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function registerOperationsRoutes(app: ApiApp, deps: ServerDeps): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const checks = await readiness(deps);
    const ready = Object.values(checks).every((v) => v === 'ok' || v === 'not in this process');
    return c.json({ status: ready ? 'ready' : 'not ready', checks }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    const token = deps.config.metricsToken;
    if (!token) throw new ApiError(404, 'not_found', 'No route for GET /metrics');
    if (!bearerMatches(c.req.header('authorization'), token)) {
      throw new ApiError(401, 'unauthorized', 'GET /metrics needs "Authorization: Bearer <QB_METRICS_TOKEN>"', undefined, {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      });
    }
    await refreshQueueGauges(deps);
    return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });
}

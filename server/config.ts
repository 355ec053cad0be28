/** Server configuration, read once from the environment (see README "Configuration"). */
import path from 'node:path';

export interface ServerConfig {
  port: number;
  host: string;
  /** A directory for the embedded database, or 'memory'. Ignored when databaseUrl is set. */
  dataDir: string;
  /** PostgreSQL connection string; when set, PostgreSQL replaces the embedded database. */
  databaseUrl: string | undefined;
  /** Dev tools (/dev/*) and local webhook receivers are allowed unless NODE_ENV=production. */
  devTools: boolean;
  /** Requests per minute per API key. */
  rateLimitPerMinute: number;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Deliver webhooks from this process (false when a separate worker process does it). */
  runWorker: boolean;
  logLevel: string;
  /** Multiplies the webhook retry schedule; 1 in real use, small in tests. */
  webhookScheduleScale: number;
  /** Seconds before a delivery job whose worker vanished (crash) is retried. */
  webhookJobExpireSeconds: number;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** The port the server listens on when PORT is not set. */
export const DEFAULT_PORT = 8787;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  }
  const dataDir = env.QB_DATA_DIR ?? '.qualifybase';
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    dataDir: dataDir === 'memory' ? 'memory' : path.resolve(dataDir),
    databaseUrl: env.DATABASE_URL || undefined,
    devTools: env.NODE_ENV !== 'production',
    rateLimitPerMinute: 120,
    bodyLimitBytes: 64 * 1024,
    runWorker: env.QB_WORKER !== 'off',
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    // Testing knobs (README, Configuration): compress retries, recover crashed jobs sooner.
    webhookScheduleScale: positiveNumber(env, 'QB_WEBHOOK_SCHEDULE_SCALE', 1),
    webhookJobExpireSeconds: positiveNumber(env, 'QB_WEBHOOK_JOB_EXPIRE_SECONDS', 60),
  };
}

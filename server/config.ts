/** Server configuration, read once from the environment (see README "Configuration"). */
import path from 'node:path';

export interface ServerConfig {
  port: number;
  host: string;
  /** A directory for the embedded database, or 'memory'. Ignored when databaseUrl is set. */
  dataDir: string;
  /** PostgreSQL connection string; when set, PostgreSQL replaces the embedded database. */
  databaseUrl: string | undefined;
  /**
   * QB_PUBLIC_URL: where people reach this server (scheme, host and port, no path), the base of
   * the `url` of leads, appointments and contacts. Default the server's own http://HOST:PORT
   * (startServer puts the real port in when PORT=0). Never taken from a request's headers.
   */
  publicUrl: string;
  /** Dev tools (/dev/*): only with QB_DEV_TOOLS=1, never in production, only on a loopback listener. */
  devTools: boolean;
  /** Webhook targets on loopback/private addresses (and plain http): QB_ALLOW_PRIVATE_WEBHOOKS=1, same rules. */
  allowPrivateWebhooks: boolean;
  /** NODE_ENV=production: no demo user, dev switches refused, first-start secrets to a file. */
  production: boolean;
  /** Production first start: the 0600 file that receives the first API key and login (QB_CREDENTIALS_FILE). */
  credentialsFile: string;
  /** QB_TRUST_PROXY=1: X-Forwarded-Proto / X-Forwarded-For come from a proxy we trust. */
  trustProxy: boolean;
  /** QB_METRICS_TOKEN: GET /metrics needs `Authorization: Bearer <token>`; unset, /metrics is 404. */
  metricsToken: string | undefined;
  /** Upper bound on waiting for in-flight requests and delivery attempts on SIGTERM. */
  shutdownTimeoutMs: number;
  /** Requests per minute per API key. */
  rateLimitPerMinute: number;
  /** Requests per minute per clinic, all its API keys together (QB_CLINIC_RATE_LIMIT). */
  clinicRateLimitPerMinute: number;
  /** Live (unrevoked) API keys per clinic (QB_CLINIC_KEY_LIMIT). */
  liveKeysPerClinic: number;
  /** API keys a clinic may create per minute in the dashboard (QB_KEY_CREATION_PER_MINUTE). */
  keyCreationsPerMinute: number;
  /** Calendar blocks per clinic that have not ended (QB_CLINIC_BLOCK_LIMIT). */
  clinicBlockLimit: number;
  /** Failed API authentications per minute per client address before 429 (QB_FAILED_AUTH_LIMIT). */
  failedAuthPerMinute: number;
  /** Throttles count IPv6 clients by this many leading bits of their address (QB_IPV6_PREFIX, 64). */
  ipv6Prefix: number;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Deliver webhooks from this process (false when a separate worker process does it). */
  runWorker: boolean;
  logLevel: string;
  /** Multiplies the webhook retry schedule; 1 in real use, small in tests. */
  webhookScheduleScale: number;
  /** Seconds before a delivery job whose worker vanished (crash) is retried. */
  webhookJobExpireSeconds: number;
  /** Active webhook subscriptions one API key may have (QB_WEBHOOKS_PER_KEY). */
  webhooksPerKey: number;
  /** Active webhook subscriptions one clinic may have, all keys together (QB_WEBHOOKS_PER_CLINIC). */
  webhooksPerClinic: number;
  /** Ports webhook destinations may use (QB_WEBHOOK_ALLOWED_PORTS; 443 by default). */
  webhookAllowedPorts: number[];
  /** Delivery attempts in flight to one destination (origin), per process; also its keep-alive connections. */
  webhookDestinationConcurrency: number;
  /** Days a finished webhook delivery (and its event and attempts) is kept (QB_WEBHOOK_RETENTION_DAYS). */
  webhookRetentionDays: number;
  /** Seconds between two retention sweeps (QB_RETENTION_INTERVAL_SECONDS). */
  retentionIntervalSeconds: number;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new Error(`${name} must be 1 or 0, got "${raw}"`);
}

/** True for an address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The dev switches hand out keys (QB_DEV_TOOLS) and open the server to internal targets
 * (QB_ALLOW_PRIVATE_WEBHOOKS): refused outright in production and on a non-loopback listener.
 */
export function assertDevSwitchesAllowed(config: Pick<ServerConfig, 'devTools' | 'allowPrivateWebhooks' | 'production' | 'host'>): void {
  const on = [config.devTools && 'QB_DEV_TOOLS=1', config.allowPrivateWebhooks && 'QB_ALLOW_PRIVATE_WEBHOOKS=1']
    .filter(Boolean)
    .join(' and ');
  if (!on) return;
  if (config.production) throw new Error(`${on} is not allowed with NODE_ENV=production`);
  if (!isLoopbackHost(config.host)) {
    throw new Error(`${on} is only allowed when the server listens on a loopback address (HOST=127.0.0.1), not on ${config.host}`);
  }
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = positiveNumber(env, name, fallback);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a whole number, got "${env[name]}"`);
  return value;
}

function ipv6Prefix(env: NodeJS.ProcessEnv): number {
  const value = positiveInteger(env, 'QB_IPV6_PREFIX', 64);
  if (value > 128) throw new Error(`QB_IPV6_PREFIX must be a prefix length from 1 to 128, got "${env.QB_IPV6_PREFIX}"`);
  return value;
}

/** Requests per minute per clinic when QB_CLINIC_RATE_LIMIT is not set (the OpenAPI document says this number). */
export const DEFAULT_CLINIC_RATE_LIMIT = 600;

/** Calendar blocks that have not ended, per clinic, when QB_CLINIC_BLOCK_LIMIT is not set (the OpenAPI document says this number). */
export const DEFAULT_BLOCK_LIMIT = 5000;

/** http://HOST:PORT, the public URL when QB_PUBLIC_URL is not set. */
export function ownUrl(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, '');
  return `http://${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

/** QB_PUBLIC_URL, checked: an absolute http(s) URL of an origin (a trailing slash is dropped). */
export function parsePublicUrl(raw: string): string {
  const refuse = (why: string) =>
    new Error(`QB_PUBLIC_URL must be the server's public origin, such as https://qualifybase.example.com (${why}), got "${raw}"`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('http or https only');
  if (url.username || url.password) throw refuse('no user name or password');
  if (url.pathname !== '/' || url.search || url.hash) throw refuse('no path, query or fragment: the dashboard is at /dashboard');
  return url.origin;
}

/** A comma-separated list of TCP ports, e.g. "443,8443". */
function portList(env: NodeJS.ProcessEnv, name: string, fallback: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const ports = raw.split(',').map((part) => Number(part.trim()));
  if (!ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535)) {
    throw new Error(`${name} must be a comma-separated list of ports such as "443,8443", got "${raw}"`);
  }
  return [...new Set(ports)];
}

/** The port the server listens on when PORT is not set. */
export const DEFAULT_PORT = 8787;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  }
  const dataDir = env.QB_DATA_DIR ?? '.qualifybase';
  const dataPath = dataDir === 'memory' ? path.resolve('.qualifybase') : path.resolve(dataDir);
  const host = env.HOST ?? '127.0.0.1';
  return {
    port,
    host,
    publicUrl: env.QB_PUBLIC_URL ? parsePublicUrl(env.QB_PUBLIC_URL) : ownUrl(host, port),
    dataDir: dataDir === 'memory' ? 'memory' : path.resolve(dataDir),
    databaseUrl: env.DATABASE_URL || undefined,
    devTools: flag(env, 'QB_DEV_TOOLS'),
    allowPrivateWebhooks: flag(env, 'QB_ALLOW_PRIVATE_WEBHOOKS'),
    production: env.NODE_ENV === 'production',
    // Beside the data directory (`.qualifybase.credentials` next to `.qualifybase/`), never inside it.
    credentialsFile: path.resolve(env.QB_CREDENTIALS_FILE || `${dataPath}.credentials`),
    trustProxy: flag(env, 'QB_TRUST_PROXY'),
    metricsToken: env.QB_METRICS_TOKEN || undefined,
    shutdownTimeoutMs: positiveNumber(env, 'QB_SHUTDOWN_TIMEOUT_MS', 20_000),
    rateLimitPerMinute: 120,
    clinicRateLimitPerMinute: positiveInteger(env, 'QB_CLINIC_RATE_LIMIT', DEFAULT_CLINIC_RATE_LIMIT),
    liveKeysPerClinic: positiveInteger(env, 'QB_CLINIC_KEY_LIMIT', 20),
    keyCreationsPerMinute: positiveInteger(env, 'QB_KEY_CREATION_PER_MINUTE', 5),
    clinicBlockLimit: positiveInteger(env, 'QB_CLINIC_BLOCK_LIMIT', DEFAULT_BLOCK_LIMIT),
    failedAuthPerMinute: positiveNumber(env, 'QB_FAILED_AUTH_LIMIT', 20),
    ipv6Prefix: ipv6Prefix(env),
    bodyLimitBytes: 64 * 1024,
    runWorker: env.QB_WORKER !== 'off',
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    // Testing knobs (README, Configuration): compress retries, recover crashed jobs sooner.
    webhookScheduleScale: positiveNumber(env, 'QB_WEBHOOK_SCHEDULE_SCALE', 1),
    webhookJobExpireSeconds: positiveNumber(env, 'QB_WEBHOOK_JOB_EXPIRE_SECONDS', 60),
    webhooksPerKey: positiveInteger(env, 'QB_WEBHOOKS_PER_KEY', 100),
    webhooksPerClinic: positiveInteger(env, 'QB_WEBHOOKS_PER_CLINIC', 200),
    webhookAllowedPorts: portList(env, 'QB_WEBHOOK_ALLOWED_PORTS', [443]),
    webhookDestinationConcurrency: positiveInteger(env, 'QB_WEBHOOK_PER_DESTINATION', 64),
    webhookRetentionDays: positiveNumber(env, 'QB_WEBHOOK_RETENTION_DAYS', 30),
    retentionIntervalSeconds: positiveNumber(env, 'QB_RETENTION_INTERVAL_SECONDS', 60),
  };
}

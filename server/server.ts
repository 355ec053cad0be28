/**
 * Starts the reference server: database, HTTP listener, webhook delivery, demo seeding on the
 * first start, and an orderly shutdown that closes the single embedded-database connection.
 */
import { serve, type ServerType } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { createApp } from './app';
import { pruneIdempotencyKeys } from './http/idempotency';
import { assertDevSwitchesAllowed, loadConfig, publicUrlWarning, type ServerConfig } from './config';
import type { ServerDeps } from './context';
import { connectDatabase, type DatabaseHandle } from './db/connect';
import { lockDataDir } from './db/data-dir-lock';
import { startPgliteAutovacuum } from './db/statistics';
import { createClinic, type NewClinic } from './services/clinics';
import { rateLimitPruneTask, startRetentionSweep, webhookPruneTasks, type PruneTask } from './services/retention';
import { createUser } from './services/users';
import { startWebhookDelivery } from './webhooks/delivery';

export interface DemoCredentials {
  clinic: NewClinic;
  /** Absent in production unless QB_ADMIN_EMAIL names the first dashboard user. */
  email?: string;
  password?: string;
  /**
   * Production: the 0600 file the key and the login were written to (QB_CREDENTIALS_FILE), so
   * that nothing prints them: container and CI logs keep what a process writes to stdout.
   */
  credentialsFile?: string;
}

export interface RunningServer {
  url: string;
  deps: ServerDeps;
  app: ReturnType<typeof createApp>;
  /** Set on the first start against an empty database. */
  demo?: DemoCredentials;
  close(): Promise<void>;
}

export interface StartOptions {
  config?: Partial<ServerConfig>;
  logger?: Logger;
  /** An open database to use instead of the configured one (tests); it is not closed on close(). */
  database?: DatabaseHandle;
  /** Create the demo clinic when the database is empty (default true). */
  seedDemo?: boolean;
}

/**
 * The dashboard login of a first start: the well-known demo user in development; in production
 * only the user QB_ADMIN_EMAIL names (a published demo address must not open a real clinic).
 */
function firstUserEmail(config: ServerConfig): string | undefined {
  if (!config.production) return 'demo@qualifybase.local';
  const email = process.env.QB_ADMIN_EMAIL?.trim().toLowerCase();
  return email || undefined;
}

async function seedDemoIfEmpty(db: DatabaseHandle['db'], config: ServerConfig): Promise<DemoCredentials | undefined> {
  const existing = await db.selectFrom('clinics').select('id').limit(1).executeTakeFirst();
  if (existing) return undefined;
  if (!config.production) return seedDemo(db, config);
  // The file is made (exclusively, 0600) before anything is written to the database, so a first
  // start that cannot keep its secrets leaves the database empty and can simply be run again.
  const file = openCredentialsFile(config.credentialsFile);
  try {
    const credentials = await seedDemo(db, config);
    fs.writeSync(file, credentialsText(credentials));
    return { ...credentials, credentialsFile: config.credentialsFile };
  } catch (error) {
    fs.rmSync(config.credentialsFile, { force: true });
    throw error;
  } finally {
    fs.closeSync(file);
  }
}

async function seedDemo(db: DatabaseHandle['db'], config: ServerConfig): Promise<DemoCredentials> {
  // The public API docs' curl examples name this agent and campaign: giving the demo clinic
  // those ids lets the examples run verbatim against a fresh `npm start`.
  const clinic = await createClinic(db, 'Demo Dental Clinic', 'America/New_York', {
    outboundAgentId: '4315bd15-3bcf-4685-9430-09afc83e8e5a',
    firstCampaignId: '8a0b71f5-2f1d-4a30-a6d5-14fb4d9d9f17',
  });
  const email = firstUserEmail(config);
  if (!email) return { clinic };
  const password = randomBytes(12).toString('base64url');
  await createUser(db, clinic.clinic.id, email, password);
  return { clinic, email, password };
}

function openCredentialsFile(file: string): number {
  try {
    return fs.openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new Error(
      `${file} exists already: a production first start writes the first API key and dashboard login there and never overwrites a file. Keep what it holds, remove it (or set QB_CREDENTIALS_FILE to another path), and start again.`,
    );
  }
}

function credentialsText({ clinic, email, password }: DemoCredentials): string {
  return [
    `# QualifyBase first start, ${new Date().toISOString()}: the clinic "${clinic.clinic.name}".`,
    '# Shown nowhere else. Keep these values somewhere safe, then delete this file.',
    `QB_API_KEY=${clinic.api_key}`,
    ...(email
      ? [`QB_DASHBOARD_EMAIL=${email}`, `QB_DASHBOARD_PASSWORD=${password}`, '# Change the password after signing in (Account).']
      : ['# No dashboard user: QB_ADMIN_EMAIL was not set on this first start.']),
    '',
  ].join('\n');
}

/** What the retention sweep prunes (services/retention.ts), one task per line. */
function retentionTasks(config: ServerConfig): PruneTask[] {
  return [...webhookPruneTasks(config.webhookRetentionDays), rateLimitPruneTask, { name: 'idempotency keys', prune: pruneIdempotencyKeys }];
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config: ServerConfig = { ...loadConfig(), ...options.config };
  // Without QB_PUBLIC_URL, records link to this server itself: its real port once it listens.
  const ownPublicUrl = options.config?.publicUrl === undefined && !process.env.QB_PUBLIC_URL;
  assertDevSwitchesAllowed(config);
  const logger = options.logger ?? pino({ level: config.logLevel });
  const usesDataDir = !options.database && !config.databaseUrl && config.dataDir !== 'memory';
  const unlock = usesDataDir ? lockDataDir(config.dataDir) : () => undefined;
  let database: DatabaseHandle;
  try {
    database =
      options.database ?? (await connectDatabase(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }));
  } catch (error) {
    unlock();
    throw error;
  }

  const deps: ServerDeps = { database, config, logger, notifyEvents: () => undefined };
  const delivery = config.runWorker ? await startWebhookDelivery(deps) : undefined;
  if (delivery) deps.notifyEvents = delivery.notify;
  let queueRunning = Boolean(delivery);
  deps.webhookQueue = { runsHere: config.runWorker, running: () => queueRunning };

  const retention = startRetentionSweep(
    database.db,
    retentionTasks(config),
    config.retentionIntervalSeconds,
    logger.child({ component: 'retention' }),
  );
  const demo = options.seedDemo === false ? undefined : await seedDemoIfEmpty(database.db, config);
  const app = createApp(deps);
  // PGlite has no autovacuum: planner statistics and visibility maps are kept up by this (db/statistics.ts).
  const stopAutovacuum = startPgliteAutovacuum(database, (error) => logger.warn({ err: error }, 'vacuuming PGlite tables failed'));

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  // Idle keep-alive connections outlive the clients' own idle timeouts (undici: 4 s), so a client
  // never reuses a socket at the instant the server closes it.
  (server as import('node:http').Server).keepAliveTimeout = 65_000;
  (server as import('node:http').Server).headersTimeout = 66_000;
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  if (ownPublicUrl) config.publicUrl = url;
  const warning = publicUrlWarning(config, !ownPublicUrl);
  if (warning) logger.warn({ host: config.host, publicUrl: config.publicUrl }, warning);

  let closing: Promise<void> | undefined;
  // Stop accepting, let in-flight requests finish (idle keep-alive sockets close at once; busy
  // ones after their response), at most shutdownTimeoutMs; then let running delivery attempts
  // finish, and only then close the database they write to.
  const close = () =>
    (closing ??= (async () => {
      deps.stopping = true; // API requests arriving from now on answer 503 (app.ts)
      const http = server as import('node:http').Server;
      const drained = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const force = setTimeout(() => http.closeAllConnections(), config.shutdownTimeoutMs);
      await drained;
      clearTimeout(force);
      queueRunning = false;
      await retention.stop();
      await stopAutovacuum();
      if (delivery) await delivery.stop();
      if (!options.database) await database.close();
      unlock();
    })());

  return { url, deps, app, demo, close };
}

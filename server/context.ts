/** What every route and service receives: the database, configuration, logger, event sink. */
import type { Logger } from 'pino';
import type { Scope } from '../contract';
import type { ServerConfig } from './config';
import type { DatabaseHandle } from './db/connect';

export interface ServerDeps {
  database: DatabaseHandle;
  config: ServerConfig;
  logger: Logger;
  /** Wakes the webhook deliverer after a transaction that wrote events has committed. */
  notifyEvents: () => void;
  /** Whether this process delivers webhooks and its queue is running (GET /readyz). */
  webhookQueue?: { runsHere: boolean; running(): boolean };
}

/** The API key a request was authenticated with. */
export interface AuthContext {
  clinicId: string;
  keyId: string;
  scopes: readonly Scope[];
}

/** Hono environment: `c.var.auth` is set by the API-key middleware. */
export interface AppEnv {
  Variables: { auth: AuthContext; requestId: string };
}

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
  /** Set when the server begins to shut down: new API requests answer 503 and /readyz says not ready. */
  stopping?: boolean;
  /** Whether this process delivers webhooks and its queue is running (GET /readyz). */
  webhookQueue?: { runsHere: boolean; running(): boolean };
}

/**
 * The database a request's handler reads and writes through: the server's, or for a write with an
 * Idempotency-Key the transaction that also keeps its response (http/idempotency.ts).
 */
export type RequestDatabase = Pick<DatabaseHandle, 'db' | 'executePrepared'>;

/** The API key a request was authenticated with. */
export interface AuthContext {
  clinicId: string;
  keyId: string;
  scopes: readonly Scope[];
  /** The clinic's `data_version` and `calendar_version` as this request's key statement read them. */
  dataVersion: number;
  calendarVersion: number;
}

/** Answers kept in memory by the page cache (http/page-cache.ts), one store per server: their bytes as sent. */
export interface AnswerStore {
  get(key: string, now?: number): Buffer<ArrayBuffer> | undefined;
  set(key: string, body: Buffer<ArrayBuffer>, until?: number): void;
}

/**
 * The headers every API answer carries (request id, nosniff, Cache-Control, HSTS, the rate-limit
 * headers), kept as a plain object until the answer is made (http/answer-headers.ts). Names in
 * lowercase, as a Headers object hands them to node-server.
 */
export interface AnswerHeaderFields {
  'cache-control': string;
  ratelimit?: string;
  'ratelimit-policy'?: string;
  'strict-transport-security'?: string;
  'x-content-type-options': string;
  'x-qualifybase-clinic-ratelimit'?: string;
  'x-qualifybase-clinic-ratelimit-policy'?: string;
  'x-request-id': string;
}

/**
 * Where an API request's answer headers are: `pending` in `fields` alone; `given` to Hono
 * (c.header), so c.json and the like carry them; `sent` with an answer made as a plain object.
 */
export interface AnswerHeaders {
  fields: AnswerHeaderFields;
  state: 'pending' | 'given' | 'sent';
}

/** Hono environment: `c.var.auth` is set by the API-key middleware. */
export interface AppEnv {
  Variables: {
    auth: AuthContext;
    requestId: string;
    /** Set under /api/v1 by the response-headers middleware (http/answer-headers.ts). */
    answerHeaders?: AnswerHeaders;
    pageCache: AnswerStore;
    database: RequestDatabase;
    /** Set by jsonText (http/route.ts): the answer's JSON bytes, written by a service, for the page cache to keep. */
    answerBody?: Buffer<ArrayBuffer>;
    /** Set by a cached route's handler: its answer may be served from memory until then (epoch ms; 0: not at all). */
    cacheUntil?: number;
    /**
     * Set by a write that knows how many webhook deliveries it queued; 0 spares waking the
     * dispatcher (unset: it is woken, as after any write).
     */
    queuedDeliveries?: number;
    /**
     * Set when the request was refused for what it says alone (its schema, malformed JSON), before
     * anything stored was read: the one kind of refusal an Idempotency-Key keeps (http/idempotency.ts).
     */
    refusedForInput?: boolean;
  };
}

/**
 * Repeated list requests answered from memory, exactly (issue 12). A cached answer is keyed by the
 * clinic, the request's URL and the clinic's `data_version` and `calendar_version` as the key
 * statement read them for this very request (migration 006: every change to the clinic's
 * appointments or leads, whoever makes it, moves `data_version` in the same commit). So an entry
 * is only ever served to a request that saw no change since the entry was computed from the
 * database; after any change the key differs and the next request reads the database again, on
 * every instance, with no invalidation message to lose. Only 200 answers are kept; the scope is
 * checked before (the route's middleware order), and every header that is not the body's
 * (request id, rate limit) is set per request as usual.
 */
import type { MiddlewareHandler } from 'hono';
import type { AnswerStore, AppEnv } from '../context';

export interface PageCacheOptions {
  /** Most answers kept (least recently used go first). */
  maxEntries?: number;
  /** Most characters of answer bodies kept. */
  maxChars?: number;
}

/** One server's store of answers: created with the app, so two servers in one process never share one. */
interface Entry {
  body: string;
  /** Epoch ms after which the entry is no longer the answer (Infinity: while the versions hold). */
  until: number;
}

export class PageCache implements AnswerStore {
  readonly #entries = new Map<string, Entry>();
  #chars = 0;
  readonly #maxEntries: number;
  readonly #maxChars: number;

  constructor({ maxEntries = 2000, maxChars = 32 * 1024 * 1024 }: PageCacheOptions = {}) {
    this.#maxEntries = maxEntries;
    this.#maxChars = maxChars;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now = Date.now()): string | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now >= entry.until) {
      this.#chars -= entry.body.length;
      return undefined;
    }
    this.#entries.set(key, entry); // the most recently used goes last
    return entry.body;
  }

  set(key: string, body: string, until = Infinity): void {
    if (body.length > this.#maxChars) return;
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#chars -= previous.body.length;
    this.#entries.delete(key);
    this.#entries.set(key, { body, until });
    this.#chars += body.length;
    for (const [oldest, old] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#chars <= this.#maxChars) break;
      this.#entries.delete(oldest);
      this.#chars -= old.body.length;
    }
  }
}

/** Route middleware (after the scope check, before validation): serves or keeps the answer. */
export const servePageFromCache: MiddlewareHandler<AppEnv> = async (c, next) => {
  const cache = c.get('pageCache');
  const { clinicId, dataVersion, calendarVersion } = c.get('auth');
  const key = `${clinicId} ${dataVersion} ${calendarVersion} ${c.req.url}`;
  const hit = cache.get(key);
  if (hit !== undefined) return c.body(hit, 200, { 'Content-Type': JSON_TYPE });
  // The handler answers with c.json, or with jsonText (http/route.ts): keep the text it sends
  // (reading it back from the finished Response would make Hono rebuild that as a full fetch Response).
  let sent: string | undefined;
  c.json = ((object: unknown, status?: number, headers?: Record<string, string>) => {
    sent = JSON.stringify(object);
    return c.body(sent, status as 200, { 'Content-Type': JSON_TYPE, ...headers });
  }) as unknown as typeof c.json;
  await next();
  const until = c.get('cacheUntil') ?? Infinity;
  const body = sent ?? c.get('answerText');
  if (body !== undefined && c.res.status === 200 && until > Date.now()) cache.set(key, body, until);
};

const JSON_TYPE = 'application/json';

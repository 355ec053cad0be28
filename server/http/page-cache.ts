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
 *
 * An answer is kept from the second time its key is offered (issue 20, round 17): a page asked for
 * once (a client paging through by new URLs, a search with a fresh window) never enters the store.
 * Every kept answer outlives the young generation's scavenges and is freed only by a mark-compact
 * once evicted, so keeping each one-off page made the old generation's garbage grow with the list's
 * bandwidth (about 30 MB/s under the bench's uncached list): with the request's own objects no
 * longer pretenured (README, "Memory"), that was what still started mark-compacts. A page asked for
 * again (a Zap's poll, a dashboard's refresh) is kept on its second request and answered from
 * memory from its third; so is a page whose clinic changed since (its key is a new one).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AnswerStore, AppEnv } from '../context';
import { giveAnswerHeadersToHono, plainAnswer } from './answer-headers';

export interface PageCacheOptions {
  /** Most answers kept (least recently used go first). */
  maxEntries?: number;
  /** Most bytes of answer bodies kept. */
  maxBytes?: number;
}

/**
 * An answer's text as the bytes sent, which the cache keeps (issue 20, round 8). Written to the
 * socket as they are: a text body would be joined to the response head and copied once more.
 * Kept in memory outside the JavaScript heap: an answer the cache keeps (every 200 of a cached
 * route, whether or not its URL comes again) is not copied from one young-generation space to
 * the other, then to the old generation, by each garbage collection it lives through, as a kept
 * string was (about a third of the server's scavenge time per list request with a new URL every
 * request). Small answers are cut from Node's shared buffer pool (cheap to make); the cache keeps
 * a copy of its own of those, so a kept answer never holds a whole pool slab alive.
 */
export const answerBytes = (text: string): Buffer<ArrayBuffer> => Buffer.from(text, 'utf8');

/** One server's store of answers: created with the app, so two servers in one process never share one. */
interface Entry {
  body: Buffer<ArrayBuffer>;
  /** Epoch ms after which the entry is no longer the answer (Infinity: while the versions hold). */
  until: number;
}

/** Slots of the keys offered once (a power of two). */
const OFFERED_SLOTS = 16_384;

/** FNV-1a of a string's UTF-16 code units (32 bits). */
function keyHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash;
}

export class PageCache implements AnswerStore {
  readonly #entries = new Map<string, Entry>();
  /**
   * The hashes of the last keys offered and not kept, one per slot (a newer key in the same slot
   * takes it): nothing per request on the heap. A collision of two keys' hashes only keeps an
   * answer on its first offer; an answer is always looked up by its whole key.
   */
  readonly #offered = new Int32Array(OFFERED_SLOTS);
  #bytes = 0;
  readonly #maxEntries: number;
  readonly #maxBytes: number;

  constructor({ maxEntries = 2000, maxBytes = 32 * 1024 * 1024 }: PageCacheOptions = {}) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now = Date.now()): Buffer<ArrayBuffer> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now >= entry.until) {
      this.#bytes -= entry.body.byteLength;
      return undefined;
    }
    this.#entries.set(key, entry); // the most recently used goes last
    return entry.body;
  }

  set(key: string, body: Buffer<ArrayBuffer>, until = Infinity): void {
    if (body.byteLength > this.#maxBytes) return;
    const previous = this.#entries.get(key);
    if (previous === undefined && !this.#offeredBefore(key)) return;
    if (previous !== undefined) this.#bytes -= previous.body.byteLength;
    this.#entries.delete(key);
    this.#entries.set(key, { body: ownBytes(body), until });
    this.#bytes += body.byteLength;
    for (const [oldest, old] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= old.body.byteLength;
    }
  }

  /** Whether the key was offered before (and is no longer waiting); else notes it. */
  #offeredBefore(key: string): boolean {
    const hash = keyHash(key) || 1; // 0 marks an empty slot
    const slot = hash & (OFFERED_SLOTS - 1);
    if (this.#offered[slot] === hash) {
      this.#offered[slot] = 0;
      return true;
    }
    this.#offered[slot] = hash;
    return false;
  }
}

/** The bytes alone in their memory: a copy of a slice of Node's buffer pool. */
function ownBytes(body: Buffer<ArrayBuffer>): Buffer<ArrayBuffer> {
  if (body.byteOffset === 0 && body.buffer.byteLength === body.byteLength) return body;
  const own = Buffer.allocUnsafeSlow(body.byteLength);
  body.copy(own);
  return own;
}

/** Route middleware (after the scope check, before validation): serves or keeps the answer. */
export const servePageFromCache: MiddlewareHandler<AppEnv> = async (c, next) => {
  const cache = c.get('pageCache');
  const { clinicId, dataVersion, calendarVersion } = c.get('auth');
  const key = `${clinicId} ${dataVersion} ${calendarVersion} ${c.req.url}`;
  const hit = cache.get(key);
  if (hit !== undefined) return jsonBytesAnswer(c, hit, 200);
  // The handler answers with c.json, or with jsonText (http/route.ts): keep the bytes it sends
  // (reading them back from the finished Response would make Hono rebuild that as a full fetch Response).
  let sent: Buffer<ArrayBuffer> | undefined;
  c.json = ((object: unknown, status?: number, headers?: Record<string, string>) => {
    sent = answerBytes(JSON.stringify(object));
    giveAnswerHeadersToHono(c);
    return c.body(sent, status as 200, { 'Content-Type': JSON_TYPE, ...headers });
  }) as unknown as typeof c.json;
  await next();
  const until = c.get('cacheUntil') ?? Infinity;
  const body = sent ?? c.get('answerBody');
  if (body !== undefined && c.res.status === 200 && until > Date.now()) cache.set(key, body, until);
};

export const JSON_TYPE = 'application/json';

/** JSON bytes as the answer: with its headers as a plain object while they are pending (answer-headers.ts), else through Hono. */
export const jsonBytesAnswer = (c: Context<AppEnv>, body: Buffer<ArrayBuffer>, status: 200 | 201) =>
  plainAnswer(c, body, status, JSON_TYPE) ?? c.body(body, status, { 'Content-Type': JSON_TYPE });

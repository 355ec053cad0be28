/**
 * Failed API authentications per client address: after `failedAuthPerMinute` (default 20)
 * invalid keys (or malformed Authorization headers) within a minute, that address gets 429 with
 * Retry-After until the window ends, without its keys being looked up. Keys used from other
 * addresses are unaffected. Addresses are counted by `addressGroup`: IPv4 by address, IPv6 by
 * /64 (QB_IPV6_PREFIX), so one network cannot pose as endless clients.
 *
 * In-process memory: a key guesser needs ~2^190 tries, so this guards the database and the logs
 * rather than the keys, and a per-instance budget (N instances: N x the budget) is enough.
 */
import type { Context } from 'hono';
import type { AppEnv, ServerDeps } from '../context';
import { rateLimitRefusals } from '../metrics';
import { throttledAddress } from './client-address';
import { ApiError } from '../errors';

export const WINDOW_MS = 60_000;
/** Most addresses tracked at once (~150 bytes each); past it the oldest window is dropped. */
export const MAX_TRACKED_ADDRESSES = 50_000;

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * A window per address, in a Map kept in order of `startedAt`: a window is only ever added at the
 * end (a new or restarted window starts now), so the expired ones are always at the front. Each
 * failure drops the expired windows from the front and stops at the first live one: every window
 * is dropped once, so the cost per call is constant on average, however many addresses there are
 * (no sweep of the whole map). At `maxEntries` the oldest window goes, so memory is bounded too.
 */
export class FailedAuthThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs = WINDOW_MS,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = MAX_TRACKED_ADDRESSES,
  ) {}

  /** Seconds until the address may try again, or 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const w = this.current(address);
    if (!w || w.failures < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((w.startedAt + this.windowMs - this.now()) / 1000));
  }

  recordFailure(address: string): void {
    this.dropExpired();
    const w = this.current(address);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= this.maxEntries) this.dropOldest();
    this.windows.set(address, { startedAt: this.now(), failures: 1 });
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.windows.size;
  }

  private current(address: string): Window | undefined {
    const w = this.windows.get(address);
    if (w && this.now() - w.startedAt >= this.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return w;
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [address, w] of this.windows) {
      if (now - w.startedAt < this.windowMs) return;
      this.windows.delete(address);
    }
  }

  private dropOldest(): void {
    const oldest = this.windows.keys().next();
    if (!oldest.done) this.windows.delete(oldest.value);
  }
}

const throttles = new WeakMap<ServerDeps, FailedAuthThrottle>();

/** One throttle per server (the API and the dev tools share it). */
export function failedAuthThrottle(deps: ServerDeps): FailedAuthThrottle {
  let throttle = throttles.get(deps);
  if (!throttle) {
    throttle = new FailedAuthThrottle(deps.config.failedAuthPerMinute);
    throttles.set(deps, throttle);
  }
  return throttle;
}

/** Refuses the request with 429 when its address has used up its failed authentications. */
export function refuseThrottledAddress(c: Context<AppEnv>, deps: ServerDeps): void {
  const throttle = failedAuthThrottle(deps);
  // No address has failed lately (the usual case): nothing to refuse, and no address to work out.
  if (throttle.size === 0) return;
  const retryAfter = throttle.retryAfterSeconds(throttledAddress(c, deps.config));
  if (retryAfter === 0) return;
  rateLimitRefusals.inc({ limiter: 'failed_auth' });
  markRefusal(c);
  throw new ApiError(
    429,
    'rate_limited',
    `Too many requests with an invalid API key from this address; retry in ${retryAfter} s`,
    undefined,
    {
      'Retry-After': String(retryAfter),
    },
  );
}

export function recordFailedAuth(c: Context<AppEnv>, deps: ServerDeps): void {
  failedAuthThrottle(deps).recordFailure(throttledAddress(c, deps.config));
}

/**
 * Requests a limiter refused and counted itself (this throttle, the clinic budget), so the
 * metrics middleware, which counts any other 429 of the API as `api_key`, does not count them twice.
 */
const refused = new WeakSet<Request>();
export const markRefusal = (c: Context) => refused.add(c.req.raw);
export const refusalCounted = (c: Context) => refused.has(c.req.raw);

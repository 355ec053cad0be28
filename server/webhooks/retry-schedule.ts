/**
 * When to try again. Standard Webhooks' example schedule, stretched to about three days:
 * immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 24 h (~2.7 days in all),
 * each with +-20 % jitter so that a recovering receiver is not hit by a synchronized wave.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const RETRY_DELAYS_MS = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR, 14 * HOUR, 24 * HOUR];

/** A subscription with no success for this long, whose latest delivery gave up, is disabled. */
export const DISABLE_AFTER_MS = 3 * 24 * HOUR;

/** Longest Retry-After we honour; beyond it the receiver is treated as down. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

/**
 * Delay before attempt number `attemptsMade + 1`, or undefined when retries are exhausted.
 * `scale` shrinks the schedule (tests); Retry-After is honoured as a floor, unscaled.
 */
export function nextDelayMs(attemptsMade: number, retryAfterMs: number | undefined, scale = 1, random = Math.random): number | undefined {
  const base = RETRY_DELAYS_MS[attemptsMade - 1];
  if (base === undefined) return undefined;
  const jittered = base * scale * (0.8 + 0.4 * random());
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

/** Retry-After: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

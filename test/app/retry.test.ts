/** lib/retry.ts and lib/idempotency.ts: what Zapier may retry, when, and the key a retried step sends. */
import { canonicalJson } from '../../contract/canonical-json';
import { idempotencyKey } from '../../lib/idempotency';
import { isRepeatable, networkErrorCode, retryAfterSeconds, withJitter } from '../../lib/retry';

describe('withJitter', () => {
  it('adds 0 up to half the delay (at least 5 s) to it, so throttled Zaps do not all come back in the same second', () => {
    const lowest = () => 0;
    const highest = (maxExclusive: number) => maxExclusive - 1;
    expect([withJitter(17, lowest), withJitter(17, highest)]).toEqual([17, 26]);
    expect([withJitter(60, lowest), withJitter(60, highest)]).toEqual([60, 90]);
    expect([withJitter(1, lowest), withJitter(1, highest)]).toEqual([1, 6]);
    expect(withJitter(2.2, lowest)).toBe(3);
  });

  it('draws from crypto.randomInt by default, within those bounds', () => {
    const delays = Array.from({ length: 50 }, () => withJitter(10));
    for (const delay of delays) expect(delay >= 10 && delay <= 15 && Number.isInteger(delay)).toBe(true);
  });
});

describe('retryAfterSeconds', () => {
  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-05-14T12:00:00Z');
    expect(retryAfterSeconds('17', now)).toBe(17);
    expect(retryAfterSeconds('Thu, 14 May 2026 12:00:30 GMT', now)).toBe(30);
    expect(retryAfterSeconds('Thu, 14 May 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeNull();
    expect(retryAfterSeconds(undefined, now)).toBeNull();
  });
});

describe('isRepeatable', () => {
  it('is true for GET, PATCH and DELETE, and for a POST only when idempotent by its fields or carrying an Idempotency-Key', () => {
    expect(['GET', 'PATCH', 'DELETE'].map((method) => isRepeatable({ method: method as 'GET' }))).toEqual([true, true, true]);
    expect(isRepeatable({ method: 'POST' })).toBe(false);
    expect(isRepeatable({ method: 'POST', idempotent: true })).toBe(true);
    expect(isRepeatable({ method: 'POST', idempotencyKey: 'zap-abc' })).toBe(true);
  });
});

describe('networkErrorCode', () => {
  it("names a request that got no answer, from node's system error codes, and nothing else", () => {
    const fetchError = (code: string) =>
      Object.assign(new Error('request failed'), { name: 'FetchError', code, errno: code, type: 'system' });
    expect(networkErrorCode(fetchError('ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(networkErrorCode(fetchError('ECONNRESET'))).toBe('ECONNRESET');
    expect(networkErrorCode(Object.assign(new Error('timeout'), { name: 'FetchError', type: 'request-timeout' }))).toBe('ETIMEDOUT');
    expect(networkErrorCode(new Error('Something else'))).toBeUndefined();
    expect(networkErrorCode(Object.assign(new Error('bad'), { code: 'invalid_input' }))).toBeUndefined();
  });
});

describe('idempotencyKey', () => {
  const request = { operation: 'appointment', method: 'POST', path: '/appointments', body: { lead_id: 'a', scheduled_at: 'b' } };

  it('is the same for the same step, whatever the order of its input, and differs when anything differs', () => {
    const key = idempotencyKey(request);
    expect(key).toMatch(/^zap-[A-Za-z0-9_-]{43}$/);
    expect(idempotencyKey({ ...request, body: { scheduled_at: 'b', lead_id: 'a' } })).toBe(key);
    const others = [
      { ...request, operation: 'campaign_contact' },
      { ...request, path: '/appointments/x' },
      { ...request, body: { lead_id: 'a', scheduled_at: 'c' } },
      { ...request, body: { lead_id: 'a', scheduled_at: 'b', title: 'x' } },
    ].map(idempotencyKey);
    expect(new Set([key, ...others]).size).toBe(5);
  });

  it('hashes canonical JSON: keys sorted at every level, undefined left out', () => {
    expect(canonicalJson({ b: [{ y: 1, x: 2 }], a: null, c: undefined })).toBe('{"a":null,"b":[{"x":2,"y":1}]}');
  });
});

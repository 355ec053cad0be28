/** The retry schedule, Retry-After parsing and the signature scheme, without a server. */
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { DISABLE_AFTER_MS, MAX_RETRY_AFTER_MS, RETRY_DELAYS_MS, nextDelayMs, parseRetryAfter } from '../webhooks/retry-schedule';
import { buildDeliveryHeaders, sign } from '../webhooks/signature';

const HOUR = 3600_000;

describe('retry schedule', () => {
  it("follows Standard Webhooks' example schedule and spans about three days", () => {
    expect(RETRY_DELAYS_MS.slice(0, 7)).toEqual([5_000, 5 * 60_000, 30 * 60_000, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR]);
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(2.5 * 24 * HOUR);
    expect(total).toBeLessThanOrEqual(3 * 24 * HOUR);
    expect(DISABLE_AFTER_MS).toBe(3 * 24 * HOUR);
  });

  it('jitters each delay by at most 20 % and gives up after the last retry', () => {
    RETRY_DELAYS_MS.forEach((base, i) => {
      expect(nextDelayMs(i + 1, undefined, 1, () => 0)).toBeCloseTo(base * 0.8);
      expect(nextDelayMs(i + 1, undefined, 1, () => 1)).toBeCloseTo(base * 1.2);
    });
    expect(nextDelayMs(RETRY_DELAYS_MS.length + 1, undefined)).toBeUndefined();
    expect(nextDelayMs(RETRY_DELAYS_MS.length + 1, 1000)).toBeUndefined();
  });

  it('scales for tests, but never below Retry-After, which is capped', () => {
    expect(nextDelayMs(1, undefined, 0.001, () => 0.5)).toBeCloseTo(5);
    expect(nextDelayMs(1, 2_000, 0.001, () => 0.5)).toBe(2_000);
    expect(nextDelayMs(1, 10 * 24 * HOUR, 1, () => 0.5)).toBe(MAX_RETRY_AFTER_MS);
    expect(nextDelayMs(4, 1_000, 1, () => 0.5)).toBe(2 * HOUR); // a short Retry-After does not hurry the schedule
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-05-14T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 7 ', now)).toBe(7_000);
    expect(parseRetryAfter('Thu, 14 May 2026 12:05:00 GMT', now)).toBe(5 * 60_000);
    expect(parseRetryAfter('Thu, 14 May 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('signature', () => {
  const secret = `whsec_${Buffer.from('a 32-byte secret for the tests!!').toString('base64')}`;

  it('produces headers a Standard Webhooks library verifies, under both header names', () => {
    const body = JSON.stringify({ id: 'evt_1', type: 'lead.created', created: '2026-05-14T12:00:00.000Z', data: { lead: {} } });
    const headers = buildDeliveryHeaders(secret, 'msg_abc', 'lead.created', body);
    expect(() => new StandardWebhook(secret).verify(body, headers)).not.toThrow();
    expect(headers['x-qualifybase-signature']).toBe(headers['webhook-signature']);
    expect(headers['x-qualifybase-delivery']).toBe('msg_abc');
    expect(headers['x-qualifybase-timestamp']).toBe(headers['webhook-timestamp']);
    expect(headers['x-qualifybase-event']).toBe('lead.created');
    expect(headers['user-agent']).toBe('QualifyBase-Webhooks/1');
    expect(headers['content-type']).toBe('application/json');
    expect(() => new StandardWebhook(secret).verify(`${body} `, headers)).toThrow();
  });

  it('signs "<id>.<timestamp>.<body>" with the base64-decoded secret', () => {
    // Computed independently: HMAC-SHA256 keyed with the decoded bytes, base64.
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const expected = createHmac('sha256', Buffer.from('a 32-byte secret for the tests!!')).update('msg_1.1700000000.{}').digest('base64');
    expect(sign(secret, 'msg_1', 1700000000, '{}')).toBe(`v1,${expected}`);
  });
});

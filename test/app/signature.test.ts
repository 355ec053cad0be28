/** lib/signature.ts against the standardwebhooks reference library, in both directions. */
import { randomBytes } from 'node:crypto';

import { Webhook, WebhookVerificationError } from 'standardwebhooks';

import {
  DEFAULT_TOLERANCE_SECONDS,
  SignatureError,
  deliveryHeaders,
  signDelivery,
  verifyDelivery,
} from '../../lib/signature';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({ id: 'evt_1', type: 'appointment.created', data: { appointment: { id: 'x', note: 'ünïcode ✓' } } });
const now = () => Math.floor(Date.now() / 1000);

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return (error as SignatureError).reason;
  }
  throw new Error('expected a SignatureError');
}

describe('Standard Webhooks signatures (lib/signature.ts)', () => {
  it('verifies what the standardwebhooks library signs', () => {
    const s = secret();
    const at = new Date();
    const signature = new Webhook(s).sign('msg_1', at, body);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
    expect(verifyDelivery({ secret: s, headers, body })).toEqual({ id: 'msg_1', timestamp: Math.floor(at.getTime() / 1000) });
  });

  it('signs what the standardwebhooks library verifies, and nothing else', () => {
    const s = secret();
    const headers = signDelivery(s, 'msg_2', body);
    expect(new Webhook(s).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret()).verify(body, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(s).verify(`${body} `, headers)).toThrow(WebhookVerificationError);
  });

  it('accepts one matching entry in a space-separated list (secret rotation)', () => {
    const s = secret();
    const good = signDelivery(s, 'msg_3', body);
    const other = signDelivery(secret(), 'msg_3', body)['webhook-signature'];
    const headers = { ...good, 'webhook-signature': `${other} v2,abc ${good['webhook-signature']}` };
    expect(verifyDelivery({ secret: s, headers, body }).id).toBe('msg_3');
  });

  it('refuses an altered body, id or timestamp', () => {
    const s = secret();
    const headers = signDelivery(s, 'msg_4', body);
    expect(reason(() => verifyDelivery({ secret: s, headers, body: body.replace('x', 'y') }))).toBe('no_match');
    expect(reason(() => verifyDelivery({ secret: s, headers: { ...headers, 'webhook-id': 'msg_5' }, body }))).toBe('no_match');
    const shifted = String(Number(headers['webhook-timestamp']) - 1);
    expect(reason(() => verifyDelivery({ secret: s, headers: { ...headers, 'webhook-timestamp': shifted }, body }))).toBe('no_match');
  });

  it('refuses a signature of the right length made with another secret, or a non-v1 entry', () => {
    const s = secret();
    const headers = signDelivery(s, 'msg_6', body);
    const foreign = signDelivery(secret(), 'msg_6', body)['webhook-signature'];
    expect(reason(() => verifyDelivery({ secret: s, headers: { ...headers, 'webhook-signature': foreign }, body }))).toBe('no_match');
    const v2 = headers['webhook-signature'].replace(/^v1,/, 'v2,');
    expect(reason(() => verifyDelivery({ secret: s, headers: { ...headers, 'webhook-signature': v2 }, body }))).toBe('no_match');
  });

  it('allows 5 minutes of clock difference either way, not more', () => {
    const s = secret();
    expect(DEFAULT_TOLERANCE_SECONDS).toBe(300);
    const t = now();
    for (const offset of [-300, 300]) {
      expect(verifyDelivery({ secret: s, headers: signDelivery(s, 'm', body, t + offset), body, nowSeconds: t }).id).toBe('m');
    }
    for (const offset of [-301, 301]) {
      expect(reason(() => verifyDelivery({ secret: s, headers: signDelivery(s, 'm', body, t + offset), body, nowSeconds: t }))).toBe(
        'stale_timestamp',
      );
    }
    // The standardwebhooks library agrees that a 6-minute-old delivery is too old.
    const old = new Date((t - 360) * 1000);
    const h = { 'webhook-id': 'm', 'webhook-timestamp': String(t - 360), 'webhook-signature': new Webhook(s).sign('m', old, body) };
    expect(() => new Webhook(s).verify(body, h)).toThrow(WebhookVerificationError);
    expect(reason(() => verifyDelivery({ secret: s, headers: h, body }))).toBe('stale_timestamp');
  });

  it('refuses missing headers, a non-numeric timestamp and a missing secret', () => {
    const s = secret();
    const headers = signDelivery(s, 'msg_7', body);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [name]: _dropped, ...rest } = headers;
      expect(reason(() => verifyDelivery({ secret: s, headers: rest, body }))).toBe('missing_headers');
    }
    expect(reason(() => verifyDelivery({ secret: s, headers: { ...headers, 'webhook-timestamp': '12abc' }, body }))).toBe(
      'invalid_timestamp',
    );
    expect(reason(() => verifyDelivery({ secret: undefined, headers, body }))).toBe('missing_secret');
    expect(reason(() => verifyDelivery({ secret: '', headers, body }))).toBe('missing_secret');
  });

  it("reads plain, upper-case, Zapier 'Http-' and X-QualifyBase header names", () => {
    const expected = { id: 'i', timestamp: 't', signature: 's' };
    expect(deliveryHeaders({ 'webhook-id': 'i', 'webhook-timestamp': 't', 'webhook-signature': 's' })).toEqual(expected);
    expect(deliveryHeaders({ 'WEBHOOK-ID': 'i', 'Webhook-Timestamp': 't', 'webhook-SIGNATURE': 's' })).toEqual(expected);
    expect(deliveryHeaders({ 'Http-Webhook-Id': 'i', 'Http-Webhook-Timestamp': 't', 'Http-Webhook-Signature': 's' })).toEqual(expected);
    expect(
      deliveryHeaders({ 'Http-X-Qualifybase-Delivery': 'i', 'Http-X-Qualifybase-Timestamp': 't', 'Http-X-Qualifybase-Signature': 's' }),
    ).toEqual(expected);
    expect(deliveryHeaders({ 'x-qualifybase-delivery': 'i', 'X-QualifyBase-Timestamp': 't', 'X-QUALIFYBASE-SIGNATURE': 's' })).toEqual(
      expected,
    );
    expect(deliveryHeaders(undefined)).toEqual({ id: undefined, timestamp: undefined, signature: undefined });
  });
});

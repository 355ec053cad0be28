/**
 * lib/signature.ts against the standardwebhooks reference library: every delivery here is signed
 * by that library, as the server's deliveries are, and lib/signature.ts must verify it.
 */
import { randomBytes } from 'node:crypto';

import { Webhook } from 'standardwebhooks';

import { MAX_CLOCK_SKEW_SECONDS, MAX_DELIVERY_AGE_SECONDS, SignatureError, readDeliveryHeaders, verifyDelivery } from '../../lib/signature';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({ id: 'evt_1', type: 'appointment.created', data: { appointment: { id: 'x', note: 'ünïcode ✓' } } });
const now = () => Math.floor(Date.now() / 1000);

/** The three headers a sender sets, signed by the standardwebhooks library. */
function signed(s: string, id: string, payload: string, timestampSeconds = now()) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': new Webhook(s).sign(id, new Date(timestampSeconds * 1000), payload),
  };
}

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
    const t = now();
    expect(verifyDelivery({ secret: s, headers: signed(s, 'msg_1', body, t), body })).toEqual({ id: 'msg_1', timestamp: t });
  });

  it('accepts one matching entry in a space-separated list (secret rotation)', () => {
    const s = secret();
    const good = signed(s, 'msg_3', body);
    const other = signed(secret(), 'msg_3', body)['webhook-signature'];
    const headers = { ...good, 'webhook-signature': `${other} v2,abc ${good['webhook-signature']}` };
    expect(verifyDelivery({ secret: s, headers, body }).id).toBe('msg_3');
  });

  it('refuses an altered body, id or timestamp', () => {
    const s = secret();
    const headers = signed(s, 'msg_4', body);
    expect(reason(() => verifyDelivery({ secret: s, headers, body: body.replace('x', 'y') }))).toBe('no_match');
    expect(reason(() => verifyDelivery({ secret: s, headers: { ...headers, 'webhook-id': 'msg_5' }, body }))).toBe('no_match');
    const shifted = String(Number(headers['webhook-timestamp']) - 1);
    expect(reason(() => verifyDelivery({ secret: s, headers: { ...headers, 'webhook-timestamp': shifted }, body }))).toBe('no_match');
  });

  it('refuses a signature of the right length made with another secret, or a non-v1 entry', () => {
    const s = secret();
    const headers = signed(s, 'msg_6', body);
    const foreign = signed(secret(), 'msg_6', body)['webhook-signature'];
    expect(reason(() => verifyDelivery({ secret: s, headers: { ...headers, 'webhook-signature': foreign }, body }))).toBe('no_match');
    const v2 = headers['webhook-signature'].replace(/^v1,/, 'v2,');
    expect(reason(() => verifyDelivery({ secret: s, headers: { ...headers, 'webhook-signature': v2 }, body }))).toBe('no_match');
  });

  it("accepts a delivery that waited up to a day in Zapier's queue, not longer", () => {
    const s = secret();
    const t = now();
    expect(MAX_DELIVERY_AGE_SECONDS).toBe(24 * 60 * 60);
    for (const age of [6 * 60, 3 * 60 * 60, MAX_DELIVERY_AGE_SECONDS]) {
      expect(verifyDelivery({ secret: s, headers: signed(s, 'm', body, t - age), body, nowSeconds: t }).id).toBe('m');
    }
    expect(
      reason(() => verifyDelivery({ secret: s, headers: signed(s, 'm', body, t - MAX_DELIVERY_AGE_SECONDS - 1), body, nowSeconds: t })),
    ).toBe('stale_timestamp');
  });

  it('refuses a timestamp from the future beyond clock skew', () => {
    const s = secret();
    const t = now();
    expect(MAX_CLOCK_SKEW_SECONDS).toBe(5 * 60);
    expect(verifyDelivery({ secret: s, headers: signed(s, 'm', body, t + MAX_CLOCK_SKEW_SECONDS), body, nowSeconds: t }).id).toBe('m');
    expect(
      reason(() => verifyDelivery({ secret: s, headers: signed(s, 'm', body, t + MAX_CLOCK_SKEW_SECONDS + 1), body, nowSeconds: t })),
    ).toBe('future_timestamp');
  });

  it('refuses a forged delivery however old or new its timestamp', () => {
    const s = secret();
    const t = now();
    for (const age of [0, 60, 12 * 60 * 60]) {
      const forged = signed(secret(), 'm', body, t - age);
      expect(reason(() => verifyDelivery({ secret: s, headers: forged, body, nowSeconds: t }))).toBe('no_match');
    }
  });

  it('refuses missing headers, a non-numeric timestamp and a missing secret', () => {
    const s = secret();
    const headers = signed(s, 'msg_7', body);
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
    expect(readDeliveryHeaders({ 'webhook-id': 'i', 'webhook-timestamp': 't', 'webhook-signature': 's' })).toEqual(expected);
    expect(readDeliveryHeaders({ 'WEBHOOK-ID': 'i', 'Webhook-Timestamp': 't', 'webhook-SIGNATURE': 's' })).toEqual(expected);
    expect(readDeliveryHeaders({ 'Http-Webhook-Id': 'i', 'Http-Webhook-Timestamp': 't', 'Http-Webhook-Signature': 's' })).toEqual(expected);
    expect(
      readDeliveryHeaders({ 'Http-X-Qualifybase-Delivery': 'i', 'Http-X-Qualifybase-Timestamp': 't', 'Http-X-Qualifybase-Signature': 's' }),
    ).toEqual(expected);
    expect(readDeliveryHeaders({ 'x-qualifybase-delivery': 'i', 'X-QualifyBase-Timestamp': 't', 'X-QUALIFYBASE-SIGNATURE': 's' })).toEqual(
      expected,
    );
    expect(readDeliveryHeaders(undefined)).toEqual({ id: undefined, timestamp: undefined, signature: undefined });
  });
});

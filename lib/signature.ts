/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com), written with node:crypto so
 * the app has no extra runtime dependency. test/app/signature.test.ts checks it against the
 * `standardwebhooks` library in both directions.
 *
 * Signed content: `${id}.${timestamp}.${body}`, HMAC-SHA256, keyed with the base64-decoded part
 * of the secret after `whsec_`. The `webhook-signature` header is a space-separated list of
 * `v1,<base64 signature>` entries (several during a secret rotation); one match is enough.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a delivery's timestamp may be from now, either way. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = 'whsec_';

/** Why a delivery was refused; `reason` is a short machine-readable code. */
export class SignatureError extends Error {
  constructor(
    readonly reason: 'missing_secret' | 'missing_headers' | 'invalid_timestamp' | 'stale_timestamp' | 'no_match',
    message: string,
  ) {
    super(message);
    this.name = 'SignatureError';
  }
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new SignatureError('missing_secret', 'The webhook signing secret is empty.');
  return key;
}

/** The base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`. */
export function computeSignature(secret: string, id: string, timestamp: string | number, body: string): string {
  return createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
}

/** The three headers a sender sets for one delivery. */
export function signDelivery(
  secret: string,
  id: string,
  body: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${computeSignature(secret, id, timestampSeconds, body)}`,
  };
}

/**
 * Header lookup that accepts plain names (`webhook-id`), any letter case, and Zapier's raw-request
 * form, where every header but Content-Type/Content-Length is prefixed with `Http-` and
 * Camel-Cased (`Http-Webhook-Id`, `Http-X-Qualifybase-Delivery`).
 */
export function headerLookup(headers: Record<string, unknown> | undefined | null): (name: string) => string | undefined {
  const normalized = new Map<string, string>();
  for (const [rawName, rawValue] of Object.entries(headers ?? {})) {
    const value = Array.isArray(rawValue) ? rawValue.join(' ') : rawValue;
    if (typeof value !== 'string') continue;
    const name = rawName.toLowerCase();
    const plain = name.startsWith('http-') ? name.slice('http-'.length) : name;
    // A plain header wins over a prefixed one of the same name.
    if (!normalized.has(plain) || plain === name) normalized.set(plain, value);
  }
  return (name) => normalized.get(name.toLowerCase());
}

/** Reads id, timestamp and signatures from either the Standard Webhooks or the X-QualifyBase names. */
export function deliveryHeaders(headers: Record<string, unknown> | undefined | null) {
  const get = headerLookup(headers);
  return {
    id: get('webhook-id') ?? get('x-qualifybase-delivery'),
    timestamp: get('webhook-timestamp') ?? get('x-qualifybase-timestamp'),
    signature: get('webhook-signature') ?? get('x-qualifybase-signature'),
  };
}

export interface VerifyOptions {
  secret: string | undefined | null;
  headers: Record<string, unknown> | undefined | null;
  body: string;
  /** Seconds since the epoch; defaults to now. */
  nowSeconds?: number;
  toleranceSeconds?: number;
}

/** Returns the delivery id when the signature is valid and fresh; throws SignatureError otherwise. */
export function verifyDelivery({
  secret,
  headers,
  body,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
}: VerifyOptions): { id: string; timestamp: number } {
  if (!secret) {
    throw new SignatureError('missing_secret', 'This subscription has no signing secret, so the delivery cannot be verified.');
  }
  const { id, timestamp, signature } = deliveryHeaders(headers);
  if (!id || !timestamp || !signature) {
    throw new SignatureError(
      'missing_headers',
      'The delivery is missing its webhook-id, webhook-timestamp or webhook-signature header.',
    );
  }
  if (!/^\d+$/.test(timestamp.trim())) {
    throw new SignatureError('invalid_timestamp', 'The delivery has an invalid webhook-timestamp header.');
  }
  const sentAt = Number(timestamp.trim());
  if (Math.abs(nowSeconds - sentAt) > toleranceSeconds) {
    throw new SignatureError(
      'stale_timestamp',
      `The delivery's timestamp is more than ${toleranceSeconds / 60} minutes away from now (replayed or delayed).`,
    );
  }
  const expected = Buffer.from(computeSignature(secret, id, timestamp.trim(), body), 'base64');
  for (const entry of signature.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const candidate = Buffer.from(entry.slice(comma + 1), 'base64');
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
      return { id, timestamp: sentAt };
    }
  }
  throw new SignatureError('no_match', 'The delivery signature does not match its body (forged or altered).');
}

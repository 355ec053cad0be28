/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com), verified with node:crypto so
 * the app has no extra runtime dependency. test/app/signature.test.ts signs every delivery with
 * the `standardwebhooks` library and checks that this verifies it.
 *
 * Signed content: `${id}.${timestamp}.${body}`, HMAC-SHA256, keyed with the base64-decoded part
 * of the secret after `whsec_`. The `webhook-signature` header is a space-separated list of
 * `v1,<base64 signature>` entries (several during a secret rotation); one match is enough.
 *
 * How old a delivery may be. Standard Webhooks suggests refusing timestamps more than 5 minutes
 * from now, which fits a receiver that verifies while the sender waits. Zapier does not: its hook
 * endpoint answers the sender 200 at once and queues the request, and `perform` (which verifies)
 * runs when the queue reaches it: seconds later normally, hours later in a backlog or an incident.
 * A delivery refused then is lost, because the sender already had its 200 and nothing retries it.
 * So an authentic delivery is accepted up to a day after it was signed (the server signs each
 * attempt afresh, so the age is the time the delivery spent with Zapier). The tolerance only
 * bounds replays: a forged or altered delivery fails the HMAC whatever its timestamp, and a replay
 * within the day can only repeat an event the server really sent to this subscription. A
 * timestamp ahead of our clock by more than ordinary clock skew is refused: no queue makes a
 * delivery younger.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long after signing a delivery is still accepted (time spent in Zapier's queue). */
export const MAX_DELIVERY_AGE_SECONDS = 24 * 60 * 60;
/** How far ahead of our clock a delivery's timestamp may be (the two clocks' difference). */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

const SECRET_PREFIX = 'whsec_';

/** Why a delivery was refused; `reason` is a short machine-readable code. */
export type SignatureRefusal =
  | 'missing_secret'
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'stale_timestamp'
  | 'future_timestamp'
  | 'no_match';

export class SignatureError extends Error {
  constructor(
    readonly reason: SignatureRefusal,
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
function computeSignature(secret: string, id: string, timestamp: string | number, body: string): string {
  return createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
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
export function readDeliveryHeaders(headers: Record<string, unknown> | undefined | null) {
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
}

/** Returns the delivery id when the signature is valid and its age acceptable; throws SignatureError otherwise. */
export function verifyDelivery({ secret, headers, body, nowSeconds = Math.floor(Date.now() / 1000) }: VerifyOptions): {
  id: string;
  timestamp: number;
} {
  if (!secret) {
    throw new SignatureError('missing_secret', 'This subscription has no signing secret, so the delivery cannot be verified.');
  }
  const { id, timestamp, signature } = readDeliveryHeaders(headers);
  if (!id || !timestamp || !signature) {
    throw new SignatureError('missing_headers', 'The delivery is missing its webhook-id, webhook-timestamp or webhook-signature header.');
  }
  if (!/^\d+$/.test(timestamp.trim())) {
    throw new SignatureError('invalid_timestamp', 'The delivery has an invalid webhook-timestamp header.');
  }
  const sentAt = Number(timestamp.trim());
  if (nowSeconds - sentAt > MAX_DELIVERY_AGE_SECONDS) {
    throw new SignatureError(
      'stale_timestamp',
      `The delivery's timestamp is more than ${MAX_DELIVERY_AGE_SECONDS / 3600} hours old (replayed).`,
    );
  }
  if (sentAt - nowSeconds > MAX_CLOCK_SKEW_SECONDS) {
    throw new SignatureError(
      'future_timestamp',
      `The delivery's timestamp is more than ${MAX_CLOCK_SKEW_SECONDS / 60} minutes in the future.`,
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

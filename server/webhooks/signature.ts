/** Standard Webhooks signing: v1,base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>")). */
import { createHmac } from 'node:crypto';

export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Every header a delivery carries: Standard Webhooks names and the X-QualifyBase-* aliases. */
export function buildDeliveryHeaders(secret: string, id: string, type: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  const signature = sign(secret, id, timestamp, body);
  return {
    'content-type': 'application/json',
    'user-agent': 'QualifyBase-Webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
    'x-qualifybase-delivery': id,
    'x-qualifybase-timestamp': String(timestamp),
    'x-qualifybase-signature': signature,
    'x-qualifybase-event': type,
  };
}

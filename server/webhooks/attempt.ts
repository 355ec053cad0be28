/** One delivery attempt: the URL policy, the signed POST, and what came of it. */
import { describeRedirect, describeTransportError } from './pinned-transport';
import { parseRetryAfter } from './retry-schedule';
import { buildDeliveryHeaders } from './signature';
import type { WebhookTransport } from './transport';
import { assertDeliverableUrl, type UrlPolicy } from './url-policy';

export interface DeliveryTarget {
  deliveryId: string;
  /** The job number this attempt runs under (see delivery.ts). */
  seq: number;
  webhookId: string;
  url: string;
  secret: string;
  type: string;
  payload: string;
}

export interface AttemptOutcome {
  status: number | null;
  /** Null on success (2xx); else what went wrong, for the delivery log. */
  error: string | null;
  latencyMs: number;
  retryAfterMs?: number;
  attemptedAt: Date;
}

export interface AttemptSettings {
  transport: WebhookTransport;
  timeoutMs: number;
  policy: UrlPolicy;
}

/** The delivery-log error of an HTTP answer; null for 2xx. A redirect's target is never repeated. */
export function describeStatus(status: number): string | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) return describeRedirect(status);
  return `HTTP ${status}`;
}

export async function attemptDelivery(target: DeliveryTarget, settings: AttemptSettings): Promise<AttemptOutcome> {
  const attemptedAt = new Date();
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    await assertDeliverableUrl(target.url, settings.policy);
    const headers = buildDeliveryHeaders(target.secret, target.deliveryId, target.type, target.payload);
    const answer = await settings.transport.post(target.url, headers, target.payload, settings.timeoutMs);
    const retryAfterMs = answer.status === 429 || answer.status === 503 ? parseRetryAfter(answer.retryAfter) : undefined;
    return { status: answer.status, error: describeStatus(answer.status), latencyMs: latency(), retryAfterMs, attemptedAt };
  } catch (error) {
    // Policy refusals, timeouts and network failures in words that name no address (pinned-transport.ts).
    return { status: null, error: describeTransportError(error, settings.timeoutMs), latencyMs: latency(), attemptedAt };
  }
}

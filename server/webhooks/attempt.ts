/** One delivery attempt: the URL policy, the signed POST, and what came of it. */
import { parseRetryAfter } from './retry-schedule';
import { deliveryHeaders } from './signature';
import { DeliveryTimeoutError, type WebhookTransport } from './transport';
import { assertDeliverableUrl, UrlPolicyError } from './url-policy';

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
  allowPrivate: boolean;
}

/** Why an attempt got no HTTP answer, in words for the delivery log. */
export function describeAttemptError(error: unknown): string {
  if (error instanceof UrlPolicyError) return `refused: ${error.message}`;
  if (error instanceof DeliveryTimeoutError) return error.message;
  const { message, code } = error as { message?: string; code?: string };
  const text = message || String(error);
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

/** The delivery-log error of an HTTP answer; null for 2xx. */
export function describeStatus(status: number, location: string | null): string | null {
  if (status >= 200 && status < 300) return null;
  if (status >= 300 && status < 400) return `redirect to ${location ?? '?'} not followed`;
  return `HTTP ${status}`;
}

export async function attemptDelivery(target: DeliveryTarget, settings: AttemptSettings): Promise<AttemptOutcome> {
  const attemptedAt = new Date();
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    await assertDeliverableUrl(target.url, { allowPrivate: settings.allowPrivate });
    const headers = deliveryHeaders(target.secret, target.deliveryId, target.type, target.payload);
    const answer = await settings.transport.post(target.url, headers, target.payload, settings.timeoutMs);
    const retryAfterMs = answer.status === 429 || answer.status === 503 ? parseRetryAfter(answer.retryAfter) : undefined;
    return { status: answer.status, error: describeStatus(answer.status, answer.location), latencyMs: latency(), retryAfterMs, attemptedAt };
  } catch (error) {
    return { status: null, error: describeAttemptError(error), latencyMs: latency(), attemptedAt };
  }
}

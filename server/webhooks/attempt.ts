/**
 * One delivery attempt: the URL policy, the signed POST, and what came of it; what it says about
 * its destination as a whole (breaker.ts); and the outcome of a delivery held back because its
 * destination's circuit is open.
 */
import type { Verdict } from './breaker';
import { describeRedirect, describeTransportError } from './pinned-transport';
import { parseRetryAfter } from './retry-schedule';
import { buildDeliveryHeaders } from './signature';
import type { WebhookTransport } from './transport';
import { assertDeliverableUrl, type UrlPolicy } from './url-policy';

export interface DeliveryTarget {
  deliveryId: string;
  clinicId: string;
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
  /** Not sent at all (its destination's circuit was open): retried through the outbox, not the job queue. */
  notSent?: true;
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

/** No answer at all, or a gateway's "unavailable": the destination as a whole fails. Any other answer shows it is up. */
export function verdictOf(outcome: AttemptOutcome): Verdict {
  if (outcome.status === null) return 'down';
  return outcome.status === 502 || outcome.status === 503 || outcome.status === 504 ? 'down' : 'up';
}

/**
 * A delivery not attempted because its destination's circuit is open: a failed attempt for the
 * delivery log and the retry schedule, due no sooner than the circuit lets a probe through, plus
 * a random part of the open period (so that a backlog comes back spread out, not all at once).
 * The words name neither the destination's address nor anyone else's deliveries.
 */
export function notSentOutcome(pause: { until: number; periodMs: number }, now = Date.now(), random = Math.random): AttemptOutcome {
  return {
    status: null,
    error: `not sent: deliveries to this host are paused after repeated failures; next try after ${new Date(pause.until).toISOString()}`,
    latencyMs: 0,
    retryAfterMs: pause.until - now + random() * pause.periodMs,
    attemptedAt: new Date(now),
    notSent: true,
  };
}

/**
 * The HTTP transport of webhook deliveries: one POST over pooled keep-alive connections, no
 * redirect followed, the response body discarded. This is the only place a delivery touches the
 * network, and every connection it opens goes through the pinned dispatcher
 * (pinned-transport.ts): the host is resolved once, every address checked against the URL policy,
 * and the socket connects to the address that was checked (no DNS rebinding).
 */
import { createWebhookDispatcher, webhookPost } from './pinned-transport';
import type { UrlPolicy } from './url-policy';

export interface TransportOptions extends UrlPolicy {
  /** Concurrent connections per receiver origin. */
  maxSockets?: number;
}

export interface HttpAnswer {
  status: number;
  retryAfter: string | null;
}

export interface WebhookTransport {
  /** Rejects on a network failure, a policy refusal or the timeout (a `TimeoutError`). */
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpAnswer>;
  close(): Promise<void>;
}

/**
 * Runs `request` with a signal that aborts (a `TimeoutError`, as `AbortSignal.timeout` gives) after
 * `timeoutMs`, and clears the timer as soon as the request settles. `AbortSignal.timeout` keeps its
 * timer and signal until the timeout would fire (15 s for a delivery that took 2 ms): every attempt
 * left them alive in the old generation, so a burst of attempts (and a quiet period's attempts
 * before it) filled the heap for a full mark-compact during the next burst.
 */
export async function withTimeout<T>(timeoutMs: number, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  timer.unref();
  try {
    return await request(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

export function createTransport({ allowPrivate, allowedPorts, maxSockets = 64 }: TransportOptions): WebhookTransport {
  // Idle sockets are closed after 4 s, before a receiver's own idle timeout would close them
  // under a request (Node's default server keep-alive timeout is 5 s).
  const dispatcher = createWebhookDispatcher({ allowPrivate, allowedPorts, connections: maxSockets, keepAliveTimeout: 4_000 });
  return {
    post(url, headers, body, timeoutMs) {
      return withTimeout(timeoutMs, (signal) => webhookPost(url, { headers, body, signal }, { dispatcher }));
    },
    close: () => dispatcher.close(),
  };
}

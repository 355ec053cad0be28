/**
 * The HTTP transport of webhook deliveries: one POST over pooled keep-alive connections
 * (node:http / node:https agents), no redirect followed, the response body discarded. This is the
 * only place a delivery touches the network: a connection policy (such as pinning the address the
 * URL check resolved) plugs in here, through `lookup`.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

export interface TransportOptions {
  /** Concurrent connections per receiver origin. */
  maxSockets?: number;
  /** Resolves a host name for a new connection (default: the system resolver). */
  lookup?: LookupFunction;
}

export interface HttpAnswer {
  status: number;
  location: string | null;
  retryAfter: string | null;
}

/** Raised when the receiver takes longer than the attempt's timeout. */
export class DeliveryTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'DeliveryTimeoutError';
  }
}

export interface WebhookTransport {
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpAnswer>;
  close(): void;
}

export function createTransport(options: TransportOptions = {}): WebhookTransport {
  // Idle sockets are closed after 4 s, before a receiver's own idle timeout would close them
  // under a request (Node's default server keep-alive timeout is 5 s).
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, timeout: 4000, ...(options.lookup ? { lookup: options.lookup } : {}) };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

  function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpAnswer> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const send = secure ? https.request : http.request;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = send(target, { method: 'POST', agent: secure ? agents.https : agents.http, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume(); // the body is not read, but must be drained for the socket to be reused
        res.on('error', () => undefined);
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, location: header(res.headers.location), retryAfter: header(res.headers['retry-after']) });
      });
      const timer = setTimeout(() => req.destroy(new DeliveryTimeoutError(timeoutMs)), timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(body);
    });
  }

  return {
    post,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function header(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * A real HTTP webhook receiver on loopback. Each request is recorded; the answer is taken from a
 * script of responses (default 200), so tests can play "down, 500, 429, then fine".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export type ScriptedResponse = { status: number; headers?: Record<string, string> } | 'drop';

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as far fewer than requests). */
  connections(): number;
  /** Answers to give, in order, before falling back to 200. */
  script(...responses: ScriptedResponse[]): void;
  /** Resolves when at least n requests have arrived (rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const queue: ScriptedResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const next = queue.shift() ?? { status: 200 };
      if (next === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(next.status, next.headers ?? {});
      res.end(next.status < 300 ? 'ok' : 'no');
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}/hooks`,
    port: actualPort,
    received,
    connections: () => connections,
    script: (...responses) => void queue.push(...responses),
    async waitFor(n, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`receiver got ${received.length} of ${n} expected requests`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

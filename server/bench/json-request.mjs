// The benchmark children's HTTP client (webhooks.mjs, noisy-neighbour.mjs): one JSON request on a
// shared keep-alive agent, resolved with the status, the body as text and `at`, when its answer
// ended on the same clock as the children's receivers (`now`).
import http from 'node:http';

export const now = () => performance.timeOrigin + performance.now();
export const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function jsonRequest(base, method, path, body, headers = {}) {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path, agent, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, at: now(), body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

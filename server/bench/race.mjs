// `npm run bench`, child process: N concurrent requests fired at once (one per item), from a
// process of its own. Prints { statuses, settleMs, bodies201 } as one JSON line.
// config (inline JSON or @file): { url, method, path, items: { key?: string, body?: string }[] }
import fs from 'node:fs';
import http from 'node:http';

const arg = process.argv[2];
const config = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg);
const target = new URL(config.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function send(item) {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json' };
    if (item.key) headers.authorization = `Bearer ${item.key}`;
    const req = http.request(
      { host: target.hostname, port: target.port, method: config.method, path: config.path, headers, agent },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(item.body ?? undefined);
  });
}

// Open the sockets first, so the measured burst is the requests and not TCP handshakes.
await Promise.all(
  config.items.map(
    () =>
      new Promise((resolve) => {
        const req = http.request({ host: target.hostname, port: target.port, method: 'HEAD', path: '/', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', resolve);
        req.end();
      }),
  ),
);
const started = performance.now();
const responses = await Promise.all(config.items.map(send));
const settleMs = performance.now() - started;
const statuses = {};
for (const r of responses) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
process.stdout.write(
  `${JSON.stringify({ statuses, settleMs, bodies201: responses.filter((r) => r.status === 201).map((r) => r.body) })}\n`,
);
agent.destroy();

// The load generator of `npm run bench`, run as a child process so load and server never share
// an event loop. Takes one JSON config on argv, prints one JSON result line on stdout.
//
// config (inline JSON, or @file holding it): { url, method, path, connections, duration (s),
//   keys?: string[], perKey?: number, items?: { key: string, body: string }[], distinct?: boolean }
// A GET takes the next API key for every request, each key used perKey times before the next
// (so the 120/min limit is never hit while requests <= keys * perKey); a write takes the next
// item (its own key and body). Both wrap around past the end: the caller sizes them so that
// the server under test never gets there (the ceiling, which checks nothing, may). With
// `distinct`, request n asks for path + `_n=n` (a parameter the API ignores): no two requests
// share a URL, so none is answered from the server's memory of an earlier one.
// Latency percentiles are taken from every 2xx response's own time in fractions of a millisecond
// (autocannon's histogram keeps whole milliseconds: 2 ms against 3 ms is a ratio of 1.5).
import fs from 'node:fs';
import autocannon from 'autocannon';

const arg = process.argv[2];
const config = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg);
const keys = config.keys ?? [];
const perKey = config.perKey ?? 110;
const items = config.items;
let n = 0;
let capacity = Infinity;
if (keys.length > 0) capacity = keys.length * perKey;
if (items) capacity = items.length;

const headers = { 'content-type': 'application/json' };
const instance = autocannon({
  url: config.url,
  connections: config.connections,
  duration: config.duration,
  timeout: 30,
  requests: [
    {
      method: config.method,
      path: config.path,
      headers,
      setupRequest: (req) => {
        const i = n++;
        const h = { ...headers };
        const out = { ...req, headers: h };
        if (config.distinct) out.path = `${config.path}${config.path.includes('?') ? '&' : '?'}_n=${i}`;
        if (items) {
          const item = items[i % items.length];
          h.authorization = `Bearer ${item.key}`;
          out.body = item.body;
        } else if (keys.length > 0) {
          h.authorization = `Bearer ${keys[Math.floor(i / perKey) % keys.length]}`;
        }
        return out;
      },
    },
  ],
});
const latencies = [];
instance.on('response', (_client, statusCode, _bytes, ms) => {
  if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
});
const result = await instance;
latencies.sort((a, b) => a - b);
/** The value below which `p` percent of the latencies lie (nearest rank), in ms with two decimals. */
const percentile = (p) => {
  if (latencies.length === 0) return 0;
  const at = latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  return Math.round(at * 100) / 100;
};

const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([s, v]) => [s, v.count]));
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    p50: percentile(50),
    p99: percentile(99),
    max: percentile(100),
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    capacity: Number.isFinite(capacity) ? capacity : null,
  })}\n`,
);

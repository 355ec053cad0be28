// `npm run bench`, child process: webhook latency. Runs one receiver with one path per
// subscription, subscribes each path to lead.created, then creates leads at a steady rate
// (round-robin over the groups, i.e. clinics) and measures, for every (event, subscription of
// its clinic), the time from the API response of the write to the arrival of its signed
// delivery. Also measures the floor: the same kind of body POSTed straight to the same receiver
// from this process. Prints one JSON line.
// config (inline JSON or @file): { url, groups: { keys: string[], subscriptions }[], events,
//   rate (events/s), timeoutMs }
import fs from 'node:fs';
import http from 'node:http';
import { agent, jsonRequest, now } from './json-request.mjs';

const arg = process.argv[2];
const config = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg);
const groups = config.groups.map((g, index) => ({ ...g, index, used: 0 }));
const nextKey = (g) => g.keys[Math.floor(g.used++ / 110)];

/** arrivals.get(`${sub}/${leadId}`) = [times] */
const arrivals = new Map();
let directArrival = 0;
let received = 0;
let unsigned = 0;
const receiver = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    if (req.url === '/direct') {
      directArrival = at;
    } else {
      received++;
      if (!req.headers['webhook-signature']?.startsWith('v1,')) unsigned++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const k = `${req.url}/${body.data.lead.id}`;
      const list = arrivals.get(k) ?? [];
      list.push(at);
      arrivals.set(k, list);
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const port = receiver.address().port;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

// Subscriptions: one path each.
for (const g of groups) {
  for (let s = 0; s < g.subscriptions; s++) {
    const res = await jsonRequest(
      config.url,
      'POST',
      '/api/v1/webhooks',
      { url: `http://127.0.0.1:${port}/hook/${g.index}/${s}`, events: ['lead.created'] },
      { authorization: `Bearer ${nextKey(g)}` },
    );
    if (res.status !== 201) throw new Error(`POST /api/v1/webhooks answered ${res.status}: ${res.body}`);
  }
}

// The floor: the same kind of signed JSON body, POSTed straight to the receiver.
const sample = JSON.stringify({
  id: 'evt_x',
  type: 'lead.created',
  created: new Date().toISOString(),
  data: { lead: { id: 'x', email: 'x@example.com' } },
});
const direct = [];
for (let i = 0; i < 200; i++) {
  const sent = now();
  await jsonRequest(`http://127.0.0.1:${port}`, 'POST', '/direct', JSON.parse(sample), { 'webhook-signature': 'v1,x' });
  direct.push(directArrival - sent);
}
direct.sort((a, b) => a - b);
// The floor for throughput: 500 such POSTs, 8 at a time (the delivery worker's concurrency).
const directStarted = now();
for (let i = 0; i < 500; i += 8) {
  await Promise.all(
    Array.from({ length: 8 }, () =>
      jsonRequest(`http://127.0.0.1:${port}`, 'POST', '/direct', JSON.parse(sample), { 'webhook-signature': 'v1,x' }),
    ),
  );
}
const directPerSecond = 504 / ((now() - directStarted) / 1000);

// The events, at a steady rate.
const responded = new Map(); // leadId -> { at: response time, group }
const writes = [];
const started = now();
const writeErrors = [];
for (let i = 0; i < config.events; i++) {
  const due = started + (i * 1000) / config.rate;
  const wait = due - now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const g = groups[i % groups.length];
  writes.push(
    jsonRequest(
      config.url,
      'POST',
      '/api/v1/leads',
      { email: `bench-${i}@example.com`, full_name: `Bench ${i}` },
      { authorization: `Bearer ${nextKey(g)}` },
    ).then((res) => {
      if (res.status !== 201) writeErrors.push(`${res.status}: ${res.body}`);
      else responded.set(JSON.parse(res.body).id, { at: res.at, group: g });
    }),
  );
}
await Promise.all(writes);
const writeSeconds = (now() - started) / 1000;
let expected = 0;
for (const { group } of responded.values()) expected += group.subscriptions;
const deadline = now() + config.timeoutMs;
while (received < expected && now() < deadline) await new Promise((r) => setTimeout(r, 50));

const latencies = [];
let missing = 0;
let duplicates = 0;
let lastArrival = started;
for (const [leadId, { at, group }] of responded) {
  for (let s = 0; s < group.subscriptions; s++) {
    const list = arrivals.get(`/hook/${group.index}/${s}/${leadId}`);
    if (!list) {
      missing++;
      continue;
    }
    duplicates += list.length - 1;
    lastArrival = Math.max(lastArrival, Math.min(...list));
    latencies.push(Math.min(...list) - at);
  }
}
latencies.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    events: responded.size,
    writeErrors: writeErrors.slice(0, 5),
    writeErrorCount: writeErrors.length,
    deliveries: latencies.length,
    expected,
    missing,
    duplicates,
    unsigned,
    writeSeconds,
    drainedSeconds: (lastArrival - started) / 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    negative: latencies.filter((l) => l < 0).length,
    directP50: percentile(direct, 50),
    directP99: percentile(direct, 99),
    directPerSecond,
  })}\n`,
);
agent.destroy();
receiver.closeAllConnections();
receiver.close();

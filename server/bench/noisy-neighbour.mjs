// `npm run bench`, child process: the noisy neighbour (issue 19). Two receivers: one that answers
// at once (the victim clinic's) and one that reads every request and never answers (the noisy
// clinic's, `noisySubscriptions` paths). The victim creates leads at a steady rate, first alone
// (quiet), then while the noisy clinic creates leads at its own rate (noisy); for each victim lead,
// the time from the API response of the write to the arrival of its signed delivery. Prints one
// JSON line.
// config (inline JSON or @file): { url, victimKeys, noisyKeys, noisySubscriptions, events, rate,
//   noisyRate, timeoutMs }
import fs from 'node:fs';
import http from 'node:http';
import { agent, jsonRequest, now } from './json-request.mjs';

const arg = process.argv[2];
const config = JSON.parse(arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg);
const PER_KEY = 110;
const keyring = (keys) => {
  let used = 0;
  return () => keys[Math.floor(used++ / PER_KEY)];
};
const victimKey = keyring(config.victimKeys);
const noisyKey = keyring(config.noisyKeys);

async function listen(server) {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${server.address().port}`;
}

/** leadId -> arrival time of its first delivery */
const arrivals = new Map();
const fine = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (!arrivals.has(body.data.lead.id)) arrivals.set(body.data.lead.id, at);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
let silentRequests = 0;
const silent = http.createServer({ requestTimeout: 0, headersTimeout: 0 }, (req) => {
  silentRequests++;
  req.resume();
});
const fineUrl = await listen(fine);
const silentUrl = await listen(silent);

const request = (method, path, body, key) => jsonRequest(config.url, method, path, body, { authorization: `Bearer ${key}` });

async function subscribe(url, key) {
  const res = await request('POST', '/api/v1/webhooks', { url, events: ['lead.created'] }, key);
  if (res.status !== 201) throw new Error(`POST /api/v1/webhooks answered ${res.status}: ${res.body}`);
}

/** `count` leads at `rate`/s with keys from `nextKey`; resolves the write responses (id, time). */
async function writeLeads(tag, count, rate, nextKey, stop = () => false) {
  const started = now();
  const writes = [];
  for (let i = 0; i < count && !stop(); i++) {
    const wait = started + (i * 1000) / rate - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    writes.push(
      request('POST', '/api/v1/leads', { email: `${tag}-${i}-${Date.now()}@example.com` }, nextKey()).then((res) => {
        if (res.status !== 201) throw new Error(`POST /api/v1/leads (${tag}) answered ${res.status}: ${res.body}`);
        return { id: JSON.parse(res.body).id, at: res.at };
      }),
    );
  }
  return Promise.all(writes);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/** The victim's leads at its rate; waits for their deliveries; latency percentiles. */
async function victimPhase(tag) {
  const written = await writeLeads(tag, config.events, config.rate, victimKey);
  const deadline = now() + config.timeoutMs;
  while (written.some((w) => !arrivals.has(w.id)) && now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const latencies = written.filter((w) => arrivals.has(w.id)).map((w) => arrivals.get(w.id) - w.at);
  latencies.sort((a, b) => a - b);
  return {
    missing: written.length - latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1),
  };
}

await subscribe(`${fineUrl}/victim`, victimKey());
for (let s = 0; s < config.noisySubscriptions; s++) await subscribe(`${silentUrl}/hook/${s}`, noisyKey());

const quiet = await victimPhase('quiet');
let victimDone = false;
const noisyWrites = writeLeads('noisy', 100_000, config.noisyRate, noisyKey, () => victimDone);
const noisy = await victimPhase('noisy');
victimDone = true;
const noisyEvents = (await noisyWrites).length;

process.stdout.write(`${JSON.stringify({ quiet, noisy, noisyEvents, silentRequests })}\n`);
agent.destroy();
for (const server of [fine, silent]) {
  server.closeAllConnections();
  server.close();
}

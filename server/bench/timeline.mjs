// The tail of a profiled load, request by request (issue 20, round 13): what the slowest 1 % of
// requests had in common. Two uses of one file:
// - preloaded into `bench:profile` (QB_PROFILE_TIMELINE=<file>), it records, for the requests of
//   the load (the ones with `_n=`, QB_PROFILE_DISTINCT=1): when the server began and finished
//   each one; every garbage collection's pause; every statement sent through pg (its wall time
//   from the call to its result, and how many requests it carried: the length of its first array
//   parameter); and the event loop's delay from the first load's second second on. Written to <file>
//   when the process exits:
//     QB_PROFILE_TIMELINE=/tmp/t.json QB_PROFILE_DISTINCT=1 npx tsx --max-semi-space-size=32 \
//       --no-allocation-site-pretenuring --import ./server/bench/timeline.mjs server/bench/profile.ts
// - run with that file (`node server/bench/timeline.mjs /tmp/t.json`), it prints the summary:
//   latency in the server (mean, p50, p99, p99/mean), the collections' pauses, the event-loop
//   delay, the share of all and of the slowest 1 % of requests that a pause overlapped, the
//   statements' wall times, and in how many clusters the slowest requests finished.
// The summary covers the last load (after a QB_PROFILE_WARMUP one), without its first second.
import dc from 'node:diagnostics_channel';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const WARM_UP_MS = 1000;
const LOAD_GAP_MS = 250;

/** A statement's kind by its text: the two the list sends, or the text's start. */
function statementKind(text) {
  if (text.includes('with req as')) return 'key statement (grouped)';
  if (text.includes('select r.ord')) return 'list pages (grouped)';
  return text.replace(/\s+/g, ' ').trim().slice(0, 50);
}

function record(file) {
  const gcs = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcs.push([entry.startTime, entry.duration, entry.detail?.kind]);
  }).observe({ entryTypes: ['gc'] });

  const requests = [];
  const started = new WeakMap();
  let firstAt;
  let delay;
  dc.subscribe('http.server.request.start', ({ request }) => {
    if (!request.url.includes('_n=')) return;
    const now = performance.now();
    if (firstAt === undefined) {
      firstAt = now;
      setTimeout(() => {
        delay = monitorEventLoopDelay({ resolution: 1 });
        delay.enable();
      }, WARM_UP_MS).unref();
    }
    started.set(request, now);
  });
  dc.subscribe('http.server.response.finish', ({ request }) => {
    const at = started.get(request);
    if (at !== undefined) requests.push([at, performance.now()]);
  });

  // The server's own pg (server/node_modules): the one its pool's clients are made of.
  const pg = createRequire(import.meta.url)('pg');
  const statements = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function timedQuery(config, values, callback) {
    const done = typeof values === 'function' ? values : callback;
    if (firstAt === undefined || typeof done !== 'function' || typeof config?.text !== 'string')
      return query.call(this, config, values, callback);
    const at = performance.now();
    const first = (config.values ?? values)?.[0];
    const carried = Array.isArray(first) ? first.length : 1;
    const kind = statementKind(config.text);
    const timed = (error, result) => {
      statements.push([at, performance.now(), kind, carried]);
      done(error, result);
    };
    return typeof values === 'function' ? query.call(this, config, timed) : query.call(this, config, values, timed);
  };

  process.on('exit', () => {
    const eventLoop = delay && {
      mean: delay.mean / 1e6,
      p50: delay.percentile(50) / 1e6,
      p99: delay.percentile(99) / 1e6,
      max: delay.max / 1e6,
    };
    fs.writeFileSync(file, JSON.stringify({ gcs, requests, statements, eventLoop }));
  });
}

/** The value below which `p` percent of the sorted values lie (nearest rank). */
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (value) => value.toFixed(2);
const sum = (values) => values.reduce((a, b) => a + b, 0);

function summarise(file) {
  const t = JSON.parse(fs.readFileSync(file, 'utf8'));
  // The measured load: the requests after the last pause of more than LOAD_GAP_MS between two
  // requests (a QB_PROFILE_WARMUP load comes first, then the fixtures of the measured one).
  const starts = t.requests.map(([at]) => at).sort((a, b) => a - b);
  const loadStart = starts.filter((at, i) => i === 0 || at - starts[i - 1] > LOAD_GAP_MS).at(-1);
  const from = loadStart + WARM_UP_MS;
  const requests = t.requests.filter(([at]) => at >= from);
  const to = Math.max(...requests.map(([, end]) => end));
  const latencies = requests.map(([at, end]) => end - at).sort((a, b) => a - b);
  const mean = sum(latencies) / latencies.length;
  const p99 = percentile(latencies, 99);
  const out = [];
  out.push(
    `${requests.length} requests in ${ms((to - from) / 1000)} s (${((1000 * requests.length) / (to - from)).toFixed(0)} req/s); in the server: mean ${ms(mean)}, p50 ${ms(percentile(latencies, 50))}, p99 ${ms(p99)}, max ${ms(latencies.at(-1))} ms; p99/mean ${ms(p99 / mean)}`,
  );
  const gcs = t.gcs.filter(([at]) => at >= from && at <= to);
  const pauses = gcs.map(([, duration]) => duration).sort((a, b) => a - b);
  out.push(
    `garbage collections: ${gcs.length}, ${ms(sum(pauses))} ms (${ms((100 * sum(pauses)) / (to - from))} % of the time), longest ${ms(pauses.at(-1) ?? 0)} ms`,
  );
  if (t.eventLoop)
    out.push(
      `event-loop delay: mean ${ms(t.eventLoop.mean)}, p50 ${ms(t.eventLoop.p50)}, p99 ${ms(t.eventLoop.p99)}, max ${ms(t.eventLoop.max)} ms`,
    );
  const paused = ([at, end]) => sum(gcs.filter(([gcAt, duration]) => gcAt < end && gcAt + duration > at).map(([, duration]) => duration));
  const slowest = requests.filter(([at, end]) => end - at >= p99);
  const overlapped = (set) => ms((100 * set.filter((r) => paused(r) > 0).length) / set.length);
  out.push(
    `a collection paused ${overlapped(requests)} % of all requests (${ms(sum(requests.map(paused)) / requests.length)} ms each on average) and ${overlapped(slowest)} % of the slowest 1 % (${ms(sum(slowest.map(paused)) / slowest.length)} ms each)`,
  );
  const kinds = new Map();
  for (const [at, end, kind, carried] of t.statements.filter(([at]) => at >= from && at <= to)) {
    const list = kinds.get(kind) ?? [];
    list.push([end - at, carried]);
    kinds.set(kind, list);
  }
  for (const [kind, list] of kinds) {
    const walls = list.map(([wall]) => wall).sort((a, b) => a - b);
    out.push(
      `  ${kind}: ${list.length} statements, ${ms(sum(list.map(([, carried]) => carried)) / list.length)} requests each; wall mean ${ms(sum(walls) / walls.length)}, p50 ${ms(percentile(walls, 50))}, p99 ${ms(percentile(walls, 99))}, max ${ms(walls.at(-1))} ms`,
    );
  }
  const ends = slowest.map(([, end]) => end).sort((a, b) => a - b);
  const clusters = ends.filter((end, i) => i === 0 || end - ends[i - 1] > 2).length;
  out.push(`the slowest 1 % (${slowest.length} requests) finished in ${clusters} clusters (finishes more than 2 ms apart start a new one)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

if (process.env.QB_PROFILE_TIMELINE && process.argv.some((arg) => arg.endsWith('profile.ts'))) record(process.env.QB_PROFILE_TIMELINE);
else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) summarise(process.argv[2]);

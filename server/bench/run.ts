/**
 * `npm run bench`: the reference server against the physical limit and a peer, every figure a
 * ratio of two measurements taken in the same run. The server runs in this process; the load
 * comes from child processes (bench/load.mjs on autocannon, bench/race.mjs, bench/webhooks.mjs)
 * on loopback. Prints a table, writes bench/results.json and BENCHMARKS.md.
 *
 * Environment: QB_BENCH_SECONDS (per autocannon run, default 5), QB_BENCH_CONNECTIONS (default 20),
 * QB_BENCH_ONLY (e.g. "1,3": run only those items), QB_BENCH_BACKENDS ("pglite" or "postgres").
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { startServer, type RunningServer } from '../server';
import { createApiKey } from '../services/api-keys';
import { createClinic } from '../services/clinics';
import { measureApp, type AppFigures } from './app';

const SERVER_DIR = path.join(__dirname, '..');
const REPO = path.join(__dirname, '../..');
const DURATION = Number(process.env.QB_BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.QB_BENCH_CONNECTIONS ?? 20);
const ONLY = new Set((process.env.QB_BENCH_ONLY ?? '1,2,3,4,5').split(',').map((s) => s.trim()));
const BACKENDS = (process.env.QB_BENCH_BACKENDS ?? 'pglite,postgres').split(',').map((s) => s.trim()) as Backend[];
/** Requests per key, below the 120/min limit even if every use falls in one minute. */
const PER_KEY = 110;
/** Keys for one GET run: enough for 6,000 req/s over the run, far above what 2 cores serve. */
const GET_KEYS = Math.ceil((6000 * DURATION) / PER_KEY);
const WEBHOOK_SUBSCRIPTIONS = 50;
const WEBHOOK_EVENTS = Number(process.env.QB_BENCH_WEBHOOK_EVENTS ?? 1000);
const WEBHOOK_RATE = Number(process.env.QB_BENCH_WEBHOOK_RATE ?? 10);
const WEBHOOK_FANOUT_EVENTS = Number(process.env.QB_BENCH_WEBHOOK_FANOUT_EVENTS ?? 10);

type Backend = 'pglite' | 'postgres';
type Db = Kysely<Database>;

export interface Row {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
}

const rows: Row[] = [];
const notes: string[] = [];
const started = Date.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qb-bench-'));
let configCounter = 0;
/** The ceiling server's URL: runs against it may wrap around their prepared keys and bodies. */
let ceilingUrl = 'ceiling-not-started';

function log(message: string): void {
  process.stdout.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

function record(name: string, value: number, unit: string, baseline: number): void {
  const row = { name, value: round(value), unit, baseline: round(baseline), ratio: round(value / baseline, 3) };
  rows.push(row);
  log(`  ${name}: ${row.value} ${unit} (baseline ${row.baseline}, ratio ${row.ratio})`);
}

function fail(message: string): never {
  throw new Error(`BENCH FAILED: ${message}`);
}

/** Runs bench/<script> in a child Node process with its JSON config; resolves its JSON output. */
function runChild<T>(script: string, config: unknown): Promise<T> {
  const file = path.join(tmp, `config-${configCounter++}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(SERVER_DIR, 'bench', script), `@${file}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}:\n${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      } catch {
        reject(new Error(`${script} printed no JSON:\n${out}\n${err}`));
      }
    });
  });
}

interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  capacity: number | null;
}

interface LoadConfig {
  url: string;
  method: string;
  path: string;
  keys?: string[];
  items?: { key: string; body: string }[];
  connections?: number;
  duration?: number;
}

async function load(config: LoadConfig, expectStatus: number): Promise<LoadResult> {
  const result = await runChild<LoadResult>('load.mjs', { connections: CONNECTIONS, duration: DURATION, perKey: PER_KEY, ...config });
  if (!config.url.startsWith(ceilingUrl) && result.capacity !== null && result.requests > result.capacity) {
    fail(`${config.method} ${config.path}: ${result.requests} requests outran the ${result.capacity} prepared (keys or slots would repeat); prepare more`);
  }
  const unexpected = Object.entries(result.statuses).filter(([s]) => Number(s) !== expectStatus);
  if (unexpected.length > 0 || result.errors > 0 || result.timeouts > 0) {
    fail(`${config.method} ${config.url}${config.path}: expected only ${expectStatus}, got ${JSON.stringify(result.statuses)}, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// The ceiling: a bare node:http server answering the very bytes the real server answered.

interface Captured {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const HOP_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

async function capture(url: string, method: string, urlPath: string, key: string, body?: string): Promise<Captured> {
  const res = await fetch(url + urlPath, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
  });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (!HOP_HEADERS.has(k)) headers[k] = v;
  });
  return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) };
}

interface Ceiling {
  url: string;
  set(method: string, pathname: string, response: Captured): void;
  close(): Promise<void>;
}

async function startCeiling(): Promise<Ceiling> {
  const answers = new Map<string, Captured>();
  const server = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      const answer = answers.get(`${req.method} ${new URL(req.url!, 'http://x').pathname}`);
      if (!answer) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"no route","code":"not_found"}');
        return;
      }
      res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    set: (method, pathname, response) => void answers.set(`${method} ${pathname}`, response),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Data set-up, directly through the server's own services and database.

async function makeKeys(db: Db, clinicId: string, n: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < n; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, n - i) }, (_, j) => createApiKey(db, clinicId, `bench ${i + j}`)));
    keys.push(...batch.map((b) => b.key));
  }
  return keys;
}

async function api(url: string, key: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + urlPath, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function createLead(url: string, key: string, tag: string): Promise<string> {
  const res = await api(url, key, 'POST', '/api/v1/leads', { email: `${tag}@example.com`, full_name: tag });
  if (res.status !== 201) fail(`POST /api/v1/leads answered ${res.status}`);
  return res.body.id as string;
}

/** Open slots of a clinic, earliest first, paging through GET /availability. */
async function openSlots(url: string, key: string, count: number): Promise<string[]> {
  const slots: string[] = [];
  let from = Date.now() + 60 * 60_000;
  while (slots.length < count) {
    const q = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(from + 90 * 86_400_000).toISOString(), limit: '100' });
    const res = await api(url, key, 'GET', `/api/v1/availability?${q}`);
    if (res.status !== 200) fail(`GET /availability answered ${res.status}`);
    const page = res.body.data as { scheduled_at: string; ends_at: string }[];
    if (page.length === 0) break;
    slots.push(...page.map((s) => s.scheduled_at));
    from = Date.parse(page[page.length - 1]!.ends_at);
  }
  return slots.slice(0, count);
}

interface Running {
  backend: Backend;
  server: RunningServer;
  db: Db;
  url: string;
}

async function withBackend(backend: Backend, fn: (r: Running) => Promise<void>): Promise<void> {
  let stopPostgres: (() => Promise<void>) | undefined;
  let config: Record<string, unknown>;
  if (backend === 'postgres') {
    const mod = (await import(pathToFileURL(path.join(SERVER_DIR, 'test/support/postgres-server.mjs')).href)) as {
      startPostgres(): Promise<{ createDatabase(name: string): Promise<string>; stop(): Promise<void> }>;
    };
    const pg = await mod.startPostgres();
    stopPostgres = () => pg.stop();
    config = { databaseUrl: await pg.createDatabase('qb_bench') };
  } else {
    config = { databaseUrl: undefined, dataDir: path.join(tmp, 'pglite') };
  }
  const server = await startServer({
    config: { port: 0, host: '127.0.0.1', devTools: true, allowPrivateWebhooks: true, failedAuthPerMinute: 100_000, ...config },
    logger: pino({ level: 'error' }),
    seedDemo: false,
  });
  log(`${backend}: server on ${server.url}`);
  try {
    await fn({ backend, server, db: server.deps.database.db, url: server.url });
  } finally {
    await server.close();
    if (stopPostgres) await stopPostgres();
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Reads against the ceiling.

async function item1(r: Running, ceiling: Ceiling): Promise<void> {
  log(`1. ${r.backend}: authenticated reads against a bare node:http server answering the same bytes`);
  const clinic = await createClinic(r.db, 'Bench Reads', 'America/New_York');
  const lead = await createLead(r.url, clinic.api_key, 'reads');
  for (const slot of await openSlots(r.url, clinic.api_key, 30)) {
    const res = await api(r.url, clinic.api_key, 'POST', '/api/v1/appointments', { lead_id: lead, scheduled_at: slot });
    if (res.status !== 201) fail(`booking a read fixture answered ${res.status}`);
  }
  for (const [label, urlPath] of [
    ['GET /api/v1/appointments?per_page=25', '/api/v1/appointments?per_page=25'],
    ['GET /api/v1/availability?limit=5', '/api/v1/availability?limit=5'],
  ] as const) {
    const keys = await makeKeys(r.db, clinic.clinic.id, GET_KEYS);
    const captured = await capture(r.url, 'GET', urlPath, keys.pop()!);
    if (captured.status !== 200) fail(`${label} answered ${captured.status}`);
    ceiling.set('GET', new URL(urlPath, 'http://x').pathname, captured);
    const real = await load({ url: r.url, method: 'GET', path: urlPath, keys }, 200);
    const bare = await load({ url: ceiling.url, method: 'GET', path: urlPath, keys }, 200);
    record(`${r.backend}: ${label} throughput`, real.rps, 'req/s', bare.rps);
    record(`${r.backend}: ${label} p99 latency (${CONNECTIONS} connections)`, real.p99, 'ms', bare.p99);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Bookings: throughput on distinct slots, and 200 concurrent attempts at one slot.

async function item2(r: Running, ceiling: Ceiling): Promise<void> {
  log(`2. ${r.backend}: POST /api/v1/appointments on distinct slots, and a 200-way race for one slot`);
  const CLINICS = 8;
  const SLOTS_PER_CLINIC = 600;
  const perClinic: { key: string; body: string }[][] = [];
  let sampleKey = '';
  let sampleBody = '';
  for (let c = 0; c < CLINICS; c++) {
    const clinic = await createClinic(r.db, `Bench Bookings ${c}`, 'America/New_York');
    const leads: string[] = [];
    for (let l = 0; l < 4; l++) leads.push(await createLead(r.url, clinic.api_key, `book-${c}-${l}`));
    const slots = await openSlots(r.url, clinic.api_key, SLOTS_PER_CLINIC + 1);
    const keys = await makeKeys(r.db, clinic.clinic.id, Math.ceil(slots.length / PER_KEY));
    const items = slots.map((slot, j) => ({ key: keys[Math.floor(j / PER_KEY)]!, body: JSON.stringify({ lead_id: leads[j % leads.length], scheduled_at: slot }) }));
    if (c === 0) {
      const first = items.shift()!;
      sampleKey = first.key;
      sampleBody = first.body;
    }
    perClinic.push(items);
  }
  // Round-robin over the clinics, as bookings from many clinics arrive.
  const items: { key: string; body: string }[] = [];
  for (let j = 0; j < SLOTS_PER_CLINIC; j++) for (const list of perClinic) if (list[j]) items.push(list[j]!);
  const captured = await capture(r.url, 'POST', '/api/v1/appointments', sampleKey, sampleBody);
  if (captured.status !== 201) fail(`sample booking answered ${captured.status}`);
  ceiling.set('POST', '/api/v1/appointments', captured);
  const real = await load({ url: r.url, method: 'POST', path: '/api/v1/appointments', items }, 201);
  const bare = await load({ url: ceiling.url, method: 'POST', path: '/api/v1/appointments', items }, 201);
  record(`${r.backend}: POST /api/v1/appointments throughput (distinct slots, ${CLINICS} clinics)`, real.rps, 'req/s', bare.rps);
  record(`${r.backend}: POST /api/v1/appointments p99 latency (${CONNECTIONS} connections)`, real.p99, 'ms', bare.p99);

  // The race.
  const clinic = await createClinic(r.db, 'Bench Race', 'America/New_York');
  const leads: string[] = [];
  for (let l = 0; l < 5; l++) leads.push(await createLead(r.url, clinic.api_key, `race-${l}`));
  const [slot] = await openSlots(r.url, clinic.api_key, 1);
  const keys = await makeKeys(r.db, clinic.clinic.id, 4);
  const raceItems = Array.from({ length: 200 }, (_, i) => ({ key: keys[i % 4]!, body: JSON.stringify({ lead_id: leads[i % 5], scheduled_at: slot }) }));
  interface RaceResult {
    statuses: Record<string, number>;
    settleMs: number;
    bodies201: string[];
  }
  const race = await runChild<RaceResult>('race.mjs', { url: r.url, method: 'POST', path: '/api/v1/appointments', items: raceItems });
  if (race.statuses['201'] !== 1 || race.statuses['409'] !== 199) {
    fail(`200 concurrent bookings of one slot on ${r.backend}: expected exactly one 201 and 199 × 409, got ${JSON.stringify(race.statuses)}`);
  }
  const stored = await r.db
    .selectFrom('appointments')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('clinic_id', '=', clinic.clinic.id)
    .where('scheduled_at', '=', new Date(slot!))
    .executeTakeFirstOrThrow();
  if (Number(stored.n) !== 1) fail(`the raced slot holds ${stored.n} appointments`);
  const bareRace = await runChild<RaceResult>('race.mjs', { url: ceiling.url, method: 'POST', path: '/api/v1/appointments', items: raceItems });
  log(`  race on ${r.backend}: ${JSON.stringify(race.statuses)}; one appointment stored`);
  record(`${r.backend}: 200 concurrent bookings of one slot, time to settle (exactly one 201, 199 × 409)`, race.settleMs, 'ms', bareRace.settleMs);
}

// ---------------------------------------------------------------------------------------------
// 3. Availability on a full year: 10,000 appointments and 1,000 blocks, against an empty calendar.

async function scaleClinic(db: Db, name: string): Promise<{ clinicId: string; key: string }> {
  const clinic = await createClinic(db, name, 'UTC');
  const id = clinic.clinic.id;
  // Every day 08:00-20:00 in 15-minute slots: 48 a day, 17,520 a year, room for 11,000 busy.
  await db.updateTable('clinics').set({ slot_minutes: 15 }).where('id', '=', id).execute();
  await db.deleteFrom('opening_hours').where('clinic_id', '=', id).execute();
  await db
    .insertInto('opening_hours')
    .values([1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ clinic_id: id, weekday, opens_at: '08:00:00', closes_at: '20:00:00' })))
    .execute();
  return { clinicId: id, key: clinic.api_key };
}

async function item3(r: Running): Promise<void> {
  log(`3. ${r.backend}: availability with 10,000 appointments and 1,000 blocks over a year, against an empty calendar`);
  const full = await scaleClinic(r.db, 'Bench Full Year');
  const empty = await scaleClinic(r.db, 'Bench Empty Year');
  const lead = await r.db.insertInto('leads').values({ clinic_id: full.clinicId, email: 'year@example.com' }).returning('id').executeTakeFirstOrThrow();
  const SLOT = 15 * 60_000;
  const firstDay = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000; // tomorrow 00:00 UTC
  const starts: number[] = [];
  for (let d = 0; d < 365; d++) for (let s = 0; s < 48; s++) starts.push(firstDay + d * 86_400_000 + 8 * 3_600_000 + s * SLOT);
  // A deterministic shuffle, so every run books the same 11,000 distinct slots.
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let i = starts.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [starts[i], starts[j]] = [starts[j]!, starts[i]!];
  }
  const appts = starts.slice(0, 10_000);
  const blocks = starts.slice(10_000, 11_000);
  const t0 = Date.now();
  for (let i = 0; i < appts.length; i += 1000) {
    await r.db
      .insertInto('appointments')
      .values(appts.slice(i, i + 1000).map((s) => ({ clinic_id: full.clinicId, lead_id: lead.id, scheduled_at: new Date(s), ends_at: new Date(s + SLOT) })))
      .execute();
  }
  for (let i = 0; i < blocks.length; i += 1000) {
    await r.db
      .insertInto('calendar_blocks')
      .values(blocks.slice(i, i + 1000).map((s, j) => ({ clinic_id: full.clinicId, external_source: 'bench', external_id: `block-${i + j}`, starts_at: new Date(s), ends_at: new Date(s + SLOT) })))
      .execute();
  }
  const counts = await r.db
    .selectNoFrom([
      sql<number>`(select count(*)::int from appointments where clinic_id = ${full.clinicId} and status <> 'cancelled')`.as('appointments'),
      sql<number>`(select count(*)::int from calendar_blocks where clinic_id = ${full.clinicId})`.as('blocks'),
    ])
    .executeTakeFirstOrThrow();
  if (Number(counts.appointments) !== 10_000 || Number(counts.blocks) !== 1000) fail(`calendar set-up wrote ${JSON.stringify(counts)}`);
  log(`  inserted 10,000 appointments and 1,000 blocks in ${Date.now() - t0} ms`);

  const urlPath = '/api/v1/availability?limit=5';
  const fullKeys = await makeKeys(r.db, full.clinicId, GET_KEYS);
  const emptyKeys = await makeKeys(r.db, empty.clinicId, GET_KEYS);
  const fullSlots = await api(r.url, full.key, 'GET', urlPath);
  const emptySlots = await api(r.url, empty.key, 'GET', urlPath);
  if (fullSlots.body.data.length !== 5 || emptySlots.body.data.length !== 5) fail('availability did not answer 5 slots');
  const onFull = await load({ url: r.url, method: 'GET', path: urlPath, keys: fullKeys }, 200);
  const onEmpty = await load({ url: r.url, method: 'GET', path: urlPath, keys: emptyKeys }, 200);
  record(`${r.backend}: GET /availability?limit=5 p50, 10k appointments + 1k blocks (vs empty calendar)`, onFull.p50, 'ms', onEmpty.p50);
  record(`${r.backend}: GET /availability?limit=5 p99, 10k appointments + 1k blocks (vs empty calendar)`, onFull.p99, 'ms', onEmpty.p99);
  record(`${r.backend}: GET /availability?limit=5 throughput, 10k appointments + 1k blocks (vs empty calendar)`, onFull.rps, 'req/s', onEmpty.rps);
}

// ---------------------------------------------------------------------------------------------
// 4. Webhook latency: write acknowledged -> signed delivery received.

interface WebhookResult {
  events: number;
  writeErrorCount: number;
  writeErrors: string[];
  deliveries: number;
  expected: number;
  missing: number;
  duplicates: number;
  unsigned: number;
  writeSeconds: number;
  drainedSeconds: number;
  p50: number;
  p99: number;
  max: number;
  negative: number;
  directP50: number;
  directP99: number;
  directPerSecond: number;
}

async function webhookRun(r: Running, clinics: number, subscriptions: number, events: number, rate: number): Promise<WebhookResult> {
  const groups = [];
  for (let c = 0; c < clinics; c++) {
    const clinic = await createClinic(r.db, `Bench Webhooks ${c}`, 'America/New_York');
    const writes = subscriptions + Math.ceil(events / clinics);
    groups.push({ keys: await makeKeys(r.db, clinic.clinic.id, Math.ceil(writes / PER_KEY)), subscriptions });
  }
  const result = await runChild<WebhookResult>('webhooks.mjs', { url: r.url, groups, events, rate, timeoutMs: 240_000 });
  if (result.writeErrorCount > 0) fail(`webhook writes failed: ${result.writeErrors.join('; ')}`);
  if (result.missing > 0 || result.unsigned > 0) fail(`webhooks on ${r.backend}: ${result.missing} of ${result.expected} deliveries missing after 240 s, ${result.unsigned} unsigned`);
  log(
    `  ${result.deliveries} deliveries of ${result.events} events (${result.duplicates} duplicates); writes took ${round(result.writeSeconds, 1)} s, last delivery at ${round(result.drainedSeconds, 1)} s; ${result.negative} arrived before the write's response`,
  );
  return result;
}

async function item4(r: Running): Promise<void> {
  log(`4. ${r.backend}: webhook latency, ${WEBHOOK_EVENTS} events at ${WEBHOOK_RATE}/s over ${WEBHOOK_SUBSCRIPTIONS} subscriptions (one per clinic)`);
  const spread = await webhookRun(r, WEBHOOK_SUBSCRIPTIONS, 1, WEBHOOK_EVENTS, WEBHOOK_RATE);
  record(`${r.backend}: webhook latency p50, write response -> signed delivery (${WEBHOOK_EVENTS} events at ${WEBHOOK_RATE}/s, ${WEBHOOK_SUBSCRIPTIONS} subscriptions; vs direct POST)`, spread.p50, 'ms', spread.directP50);
  record(`${r.backend}: webhook latency p99, same run (vs direct POST)`, spread.p99, 'ms', spread.directP99);
  log(`4b. ${r.backend}: fan-out, ${WEBHOOK_FANOUT_EVENTS} events written at once to one clinic with ${WEBHOOK_SUBSCRIPTIONS} subscriptions`);
  const fanout = await webhookRun(r, 1, WEBHOOK_SUBSCRIPTIONS, WEBHOOK_FANOUT_EVENTS, 1000);
  record(`${r.backend}: webhook fan-out drain, ${fanout.expected} deliveries (vs direct POSTs, 8 at a time)`, fanout.deliveries / fanout.drainedSeconds, 'deliveries/s', fanout.directPerSecond);
  record(`${r.backend}: webhook fan-out latency p99, same run (vs direct POST)`, fanout.p99, 'ms', fanout.directP99);
}

// ---------------------------------------------------------------------------------------------

function table(): string {
  const header = '| Figure | Value | Unit | Baseline | Ratio |\n|---|---:|---|---:|---:|';
  return [header, ...rows.map((r) => `| ${r.name} | ${r.value} | ${r.unit} | ${r.baseline} | ${r.ratio} |`)].join('\n');
}

function machine(): string[] {
  const cpus = os.cpus();
  return [
    `- Date: ${new Date().toISOString()}`,
    `- CPUs (nproc): ${os.availableParallelism()} × ${cpus[0]?.model.trim() ?? 'unknown'}`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node: ${process.version} (${os.platform()} ${os.release()})`,
    `- Per autocannon run: ${DURATION} s, ${CONNECTIONS} connections`,
  ];
}

async function main(): Promise<void> {
  log(`machine: ${os.availableParallelism()} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  const ceiling = await startCeiling();
  ceilingUrl = ceiling.url;
  let app: AppFigures | undefined;
  try {
    for (const backend of BACKENDS) {
      if (!['1', '2', '3', '4'].some((i) => ONLY.has(i))) break;
      await withBackend(backend, async (r) => {
        if (ONLY.has('1')) await item1(r, ceiling);
        if (ONLY.has('2')) await item2(r, ceiling);
        if (ONLY.has('3')) await item3(r);
        if (ONLY.has('4')) await item4(r);
      });
    }
    if (ONLY.has('5')) {
      log('5. the Zapier app: build size, cold load, HTTP requests per operation');
      app = await measureApp(REPO, tmp, log);
      for (const row of app.rows) record(row.name, row.value, row.unit, row.baseline);
      notes.push(...app.notes);
    }
  } finally {
    await ceiling.close();
  }

  const md = table();
  process.stdout.write(`\n${md}\n\n`);
  if (notes.length) process.stdout.write(`Notes:\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
  fs.writeFileSync(path.join(REPO, 'bench/results.json'), `${JSON.stringify(rows, null, 2)}\n`);
  const template = fs.readFileSync(path.join(SERVER_DIR, 'bench/BENCHMARKS.template.md'), 'utf8');
  fs.writeFileSync(
    path.join(REPO, 'BENCHMARKS.md'),
    template
      .replace('{{MACHINE}}', machine().join('\n'))
      .replace('{{TABLE}}', md)
      .replace('{{NOTES}}', notes.length ? notes.map((n) => `- ${n}`).join('\n') : '- None.')
      .replace('{{SECONDS}}', String(Math.round((Date.now() - started) / 1000))),
  );
  log(`wrote bench/results.json and BENCHMARKS.md in ${Math.round((Date.now() - started) / 1000)} s`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});

/**
 * The bench harness: settings, the results table, child-process load generators, the ceiling
 * server, backends, and fixture helpers. The benchmarks themselves live in bench/benchmarks/,
 * one module each; bench/run.ts picks and runs them. Nothing here is module-level mutable state:
 * a run's rows, notes and ceiling live on the `Bench` it creates.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import pino from 'pino';
import type { ConnectOptions } from '../db/connect';
import type { Database } from '../db/schema';
import { startServer, type RunningServer } from '../server';
import { createApiKey } from '../services/api-keys';

/** The repository root (npm start runs there; bench/results.json and BENCHMARKS.md live there). */
export const ROOT = path.join(__dirname, '../..');
/** The server package (its bench/ and scripts/). */
export const SERVER_DIR = path.join(__dirname, '..');
/** Requests per key, below the 120/min limit even if every use falls in one minute. */
export const PER_KEY = 110;
/** Seconds of a warm-up load (`Bench.warmUp`). */
export const WARM_UP_SECONDS = 2;

export type Backend = 'pglite' | 'postgres';
export type Db = Kysely<Database>;

export interface Settings {
  /** Seconds per autocannon run. */
  duration: number;
  connections: number;
  /** Runs of each goal row (QB_BENCH_RUNS, default 3): the median run is judged, the spread reported. */
  runs: number;
  /** Clinic sizes of the growth rows, smallest first (QB_BENCH_GROWTH_SIZES, for quick checks). */
  growthSizes: number[];
}

/** A row of bench/results.json: `{name, value, unit, baseline, ratio}` (DESIGN.md), and for rows measured several times the spread beside. */
export interface Row {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  /** Rows measured in several runs: value, baseline and ratio above are the median run's (by ratio). */
  runs?: number;
  run_ratios?: number[];
  ratio_min?: number;
  ratio_max?: number;
  value_min?: number;
  value_max?: number;
  /** Goal rows: the goal, as the issue states it, and whether this run met it. */
  goal?: string;
  met?: boolean;
}

/** One run of a row: the measured value and its baseline, taken one right after the other. */
export interface Pair {
  value: number;
  baseline: number;
}

/** A goal on a row's ratio, judged on the median run, or (`every`) on each run. */
export interface Goal {
  op: '>=' | '<=';
  target: number;
  every?: boolean;
}

export const describeGoal = (g: Goal): string => `${g.op === '>=' ? '≥' : '≤'} ${g.target}${g.every ? ' in every run' : ''}`;

/** Whether ratios meet the goal: the median run's ratio, or with `every` each run's. */
export function meetsGoal(g: Goal, medianRatio: number, ratios: number[]): boolean {
  const ok = (r: number) => (g.op === '>=' ? r >= g.target : r <= g.target);
  return g.every ? ratios.every(ok) : ok(medianRatio);
}

/** The run whose ratio is the median (odd counts; an even count takes the upper middle). */
export function medianRun<T extends { ratio: number }>(runs: T[]): T {
  const sorted = [...runs].sort((a, b) => a.ratio - b.ratio);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (!middle) fail('a row needs at least one run');
  return middle;
}

/** Environment settings of a run; numbers must be positive. */
export function settingsFrom(env: NodeJS.ProcessEnv): Settings {
  const positive = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number, got "${env[name]}"`);
    return value;
  };
  const growthSizes = (env.QB_BENCH_GROWTH_SIZES ?? '1000,3000,10000,30000,100000').split(',').map((s) => Number(s.trim()));
  if (growthSizes.some((n, i) => !Number.isInteger(n) || n < 25 || n <= (growthSizes[i - 1] ?? 0))) {
    fail(`QB_BENCH_GROWTH_SIZES must be increasing whole numbers of at least 25, got "${env.QB_BENCH_GROWTH_SIZES}"`);
  }
  return {
    duration: positive('QB_BENCH_SECONDS', 5),
    connections: positive('QB_BENCH_CONNECTIONS', 20),
    runs: Math.round(positive('QB_BENCH_RUNS', 3)),
    growthSizes,
  };
}

export const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

export function fail(message: string): never {
  throw new Error(`BENCH FAILED: ${message}`);
}

export interface LoadResult {
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

export interface LoadConfig {
  url: string;
  method: string;
  path: string;
  keys?: string[];
  items?: { key: string; body: string }[];
  /**
   * Every request gets its own URL (a `_n=<request number>` query parameter the API ignores), so
   * the server can never answer it from memory (server/http/page-cache.ts): the cost of the
   * database path itself.
   */
  distinct?: boolean;
  connections?: number;
  duration?: number;
}

let configCounter = 0;

/** Runs bench/<script> in a child Node process with its JSON config; resolves its JSON output. */
export function runChild<T>(script: string, config: unknown, tmp = os.tmpdir()): Promise<T> {
  const file = path.join(tmp, `qb-bench-config-${process.pid}-${configCounter++}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(SERVER_DIR, 'bench', script), `@${file}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      fs.rmSync(file, { force: true });
      if (code !== 0) return reject(new Error(`${script} exited with ${code}:\n${err}`));
      try {
        const last = out.trim().split('\n').at(-1) ?? '';
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON:\n${out}\n${err}`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The ceiling: a bare node:http server answering the very bytes the real server answered.

export interface Captured {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const HOP_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

export async function capture(url: string, method: string, urlPath: string, key: string, body?: string): Promise<Captured> {
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

export interface Ceiling {
  url: string;
  set(method: string, pathname: string, response: Captured): void;
  close(): Promise<void>;
}

export async function startCeiling(): Promise<Ceiling> {
  const answers = new Map<string, Captured>();
  const server = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      const answer = answers.get(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
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
// One run: its settings, rows, notes, ceiling and scratch directory.

export class Bench {
  readonly rows: Row[] = [];
  /** Goal rows measured in this run, by goal key (goals.ts). */
  readonly judged = new Map<string, Row>();
  readonly notes: string[] = [];
  readonly started = Date.now();
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qb-bench-'));

  constructor(
    readonly settings: Settings,
    readonly ceiling: Ceiling,
  ) {}

  /** Keys for one GET run: enough for 12,000 req/s over the run, far above what 2 cores serve. */
  get getKeys(): number {
    return Math.ceil((12_000 * this.settings.duration) / PER_KEY);
  }

  log(message: string): void {
    process.stdout.write(`[bench ${((Date.now() - this.started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  }

  record(name: string, value: number, unit: string, baseline: number): Row {
    const row = { name, value: round(value), unit, baseline: round(baseline), ratio: round(value / baseline, 3) };
    this.rows.push(row);
    this.log(`  ${name}: ${row.value} ${unit} (baseline ${row.baseline}, ratio ${row.ratio})`);
    return row;
  }

  /** `measure` once per run of the settings (goal rows: see recordRuns), one run after the other. */
  async repeat<T>(measure: (run: number) => Promise<T>): Promise<T[]> {
    const results: T[] = [];
    for (let run = 1; run <= this.settings.runs; run++) results.push(await measure(run));
    return results;
  }

  /**
   * A row measured in several runs: the median run (by ratio) gives value, baseline and ratio, so
   * one noisy run neither meets nor misses a goal; every run's ratio and the spread (min-max)
   * stand beside. With a goal (goals.ts), the row says it and whether this run met it.
   */
  recordRuns(name: string, unit: string, pairs: Pair[], judged?: { key: string; goal: Goal }): Row {
    const runs = pairs.map((p) => ({ value: round(p.value), baseline: round(p.baseline), ratio: round(p.value / p.baseline, 3) }));
    const median = medianRun(runs);
    const ratios = runs.map((r) => r.ratio);
    const values = runs.map((r) => r.value);
    const row: Row = {
      name,
      value: median.value,
      unit,
      baseline: median.baseline,
      ratio: median.ratio,
      runs: runs.length,
      run_ratios: ratios,
      ratio_min: Math.min(...ratios),
      ratio_max: Math.max(...ratios),
      value_min: Math.min(...values),
      value_max: Math.max(...values),
    };
    if (judged) {
      row.goal = describeGoal(judged.goal);
      row.met = meetsGoal(judged.goal, median.ratio, ratios);
      this.judged.set(judged.key, row);
    }
    this.rows.push(row);
    this.log(
      `  ${name}: median ${row.value} ${unit} (baseline ${row.baseline}, ratio ${row.ratio}; ${runs.length} runs, ratios ${ratios.join(', ')})` +
        (row.goal ? `; goal ${row.goal}: ${row.met ? 'met' : 'NOT met'}` : ''),
    );
    return row;
  }

  child<T>(script: string, config: unknown): Promise<T> {
    return runChild<T>(script, config, this.tmp);
  }

  /**
   * A short load whose figures are thrown away: a process's first seconds run code V8 has not
   * compiled yet and a database whose caches are cold, which the first measured row would pay.
   */
  async warmUp(config: LoadConfig, expectStatus: number): Promise<void> {
    await this.load({ ...config, duration: Math.min(WARM_UP_SECONDS, this.settings.duration) }, expectStatus);
  }

  /**
   * bench/load.mjs against one URL. Fails the bench on any status but `expectStatus`, on errors
   * and timeouts, and when the real server got more requests than keys or items were prepared
   * for (the ceiling, which checks nothing, may wrap around).
   */
  async load(config: LoadConfig, expectStatus: number): Promise<LoadResult> {
    const result = await this.child<LoadResult>('load.mjs', {
      connections: this.settings.connections,
      duration: this.settings.duration,
      perKey: PER_KEY,
      ...config,
    });
    if (!config.url.startsWith(this.ceiling.url) && result.capacity !== null && result.requests > result.capacity) {
      fail(
        `${config.method} ${config.path}: ${result.requests} requests outran the ${result.capacity} prepared (keys or slots would repeat); prepare more`,
      );
    }
    const unexpected = Object.entries(result.statuses).filter(([s]) => Number(s) !== expectStatus);
    if (unexpected.length > 0 || result.errors > 0 || result.timeouts > 0) {
      fail(
        `${config.method} ${config.url}${config.path}: expected only ${expectStatus}, got ${JSON.stringify(result.statuses)}, ${result.errors} errors, ${result.timeouts} timeouts`,
      );
    }
    return result;
  }
}

// ---------------------------------------------------------------------------------------------
// Backends.

/** A database for the backend: PGlite in a scratch directory, or a fresh embedded PostgreSQL. */
export async function startBackendDatabase(
  backend: Backend,
  name: string,
  tmp = os.tmpdir(),
  { statements = false }: { statements?: boolean } = {},
): Promise<{ connect: ConnectOptions; stop(): Promise<void> }> {
  if (backend === 'pglite') {
    const dataDir = fs.mkdtempSync(path.join(tmp, 'pglite-'));
    return { connect: { dataDir }, stop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const mod = (await import(pathToFileURL(path.join(SERVER_DIR, 'scripts/postgres-server.mjs')).href)) as {
    startPostgres(options?: { flags?: string[] }): Promise<{ createDatabase(name: string): Promise<string>; stop(): Promise<void> }>;
  };
  // With `statements`, PostgreSQL keeps per-statement statistics (pg_stat_statements, every
  // statement including those inside functions): the profile's database time per statement.
  const flags = statements
    ? [
        '-c',
        'shared_preload_libraries=pg_stat_statements',
        '-c',
        'pg_stat_statements.track=all',
        '-c',
        'pg_stat_statements.track_planning=on',
      ]
    : [];
  const pg = await mod.startPostgres({ flags });
  return { connect: { databaseUrl: await pg.createDatabase(name) }, stop: () => pg.stop() };
}

/** The server under test on one backend, running in this process. */
export interface Running {
  backend: Backend;
  server: RunningServer;
  db: Db;
  url: string;
  /** For PostgreSQL: the database URL, so more server processes can join it. */
  databaseUrl?: string;
}

/**
 * The server settings of every benchmark (and profile): on loopback with the dev tools; the
 * receivers are on loopback and one client address sends every request; each benchmark loads one
 * clinic through many keys, so no per-clinic budget is in the way.
 */
export const BENCH_SERVER_CONFIG = {
  port: 0,
  host: '127.0.0.1',
  devTools: true,
  allowPrivateWebhooks: true,
  failedAuthPerMinute: 100_000,
  clinicRateLimitPerMinute: 100_000_000,
} as const;

export async function withBackend(bench: Bench, backend: Backend, fn: (r: Running) => Promise<void>): Promise<void> {
  const { connect, stop } = await startBackendDatabase(backend, 'qb_bench', bench.tmp);
  try {
    const server = await startServer({
      config: {
        ...BENCH_SERVER_CONFIG,
        databaseUrl: connect.databaseUrl,
        ...(connect.dataDir ? { dataDir: connect.dataDir } : {}),
      },
      logger: pino({ level: 'error' }),
      seedDemo: false,
    });
    bench.log(`${backend}: server on ${server.url}`);
    try {
      await fn({ backend, server, db: server.deps.database.db, url: server.url, databaseUrl: connect.databaseUrl });
    } finally {
      await server.close();
    }
  } finally {
    await stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Fixtures, through the server's own services and API.

export async function makeKeys(db: Db, clinicId: string, n: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < n; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, n - i) }, (_, j) => createApiKey(db, clinicId, `bench ${i + j}`)));
    keys.push(...batch.map((b) => b.key));
  }
  return keys;
}

/** One API call; `T` is the JSON body the caller expects (not checked: the caller checks the status first). */
export async function api<T = unknown>(
  url: string,
  key: string,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url + urlPath, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function createLead(url: string, key: string, tag: string): Promise<string> {
  const res = await api<{ id: string }>(url, key, 'POST', '/api/v1/leads', { email: `${tag}@example.com`, full_name: tag });
  if (res.status !== 201) fail(`POST /api/v1/leads answered ${res.status}`);
  return res.body.id;
}

/** Open slots of a clinic, earliest first, paging through GET /availability. */
export async function openSlots(url: string, key: string, count: number): Promise<string[]> {
  const slots: string[] = [];
  let from = Date.now() + 60 * 60_000;
  while (slots.length < count) {
    const q = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(from + 90 * 86_400_000).toISOString(), limit: '100' });
    const res = await api<{ data: { scheduled_at: string; ends_at: string }[] }>(url, key, 'GET', `/api/v1/availability?${q}`);
    if (res.status !== 200) fail(`GET /availability answered ${res.status}`);
    const page = res.body.data;
    const last = page.at(-1);
    if (!last) break;
    slots.push(...page.map((s) => s.scheduled_at));
    from = Date.parse(last.ends_at);
  }
  return slots.slice(0, count);
}

/** A deterministic shuffle (the same order every run). */
export function shuffled<T>(items: T[], seed = 42): T[] {
  const out = [...items];
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    // i and j are both within 0..out.length - 1.
    [out[i], out[j]] = [out[j], out[i]] as [T, T];
  }
  return out;
}

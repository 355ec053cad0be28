/**
 * `npm run bench:profile`: where the time of one request goes. Starts the server in this process
 * on PostgreSQL (embedded) or PGlite, loads one endpoint with bench/load.mjs for a few seconds,
 * and prints, per request: the statements the server ran and their time (measured in the
 * server, from the query's start to its result, so waiting for a pooled connection counts); the
 * CPU time of this process and, on PostgreSQL, of that server's own processes and the bytes of
 * write-ahead log it wrote (a figure the machine's load does not move); and on PostgreSQL
 * the database's own execution and planning time per statement (pg_stat_statements, statements
 * inside functions included). PGlite runs inside this process: its share is the WebAssembly
 * share of the CPU profile.
 *
 * Environment:
 * - QB_PROFILE_BACKEND: postgres (default) or pglite.
 * - QB_PROFILE_METHOD: GET (default) or POST. POST books distinct free slots of 8 clinics, as the
 *   bench's booking row does (bench/benchmarks/bookings.ts); QB_PROFILE_PATH is then ignored.
 * - QB_PROFILE_PATH: the GET to load (default /api/v1/appointments?per_page=25).
 * - QB_PROFILE_APPOINTMENTS: the clinic's size. Unset: 30 booked through the API, like the
 *   bench's read rows; a number: a growth clinic of that many (bench/benchmarks/growth.ts).
 * - QB_PROFILE_CALENDAR=year (or year-empty): instead, the availability-scale row's clinic open
 *   every day in 15-minute slots with 10,000 appointments and 1,000 blocks over a year (or its
 *   empty twin); QB_PROFILE_APPOINTMENTS is then ignored.
 * - QB_PROFILE_VACUUM=1: VACUUM (ANALYZE) the database after the fixtures, as PostgreSQL's
 *   autovacuum would within a minute or so (PGlite runs no autovacuum: its statistics and
 *   visibility map stay as the last explicit VACUUM or ANALYZE left them).
 * - QB_PROFILE_DISTINCT=1: a URL of its own every request (never answered from memory).
 * - QB_PROFILE_SECONDS (default 5), QB_PROFILE_CONNECTIONS (default 20).
 * - QB_PROFILE_WARMUP=<seconds> (default 0): first the same load on fixtures of its own (another
 *   clinic, other keys or slots), not counted: the server profiled is then warm, as in the bench's
 *   longer runs, not still compiling its code (V8's inline caches, baseline code and the optimizing
 *   compiler were about a tenth of a cold 8-second profile's CPU in round 13).
 * - QB_PROFILE_TOP: how many pg_stat_statements lines to print (default 8).
 * - QB_PROFILE_CPU=<file>: a V8 CPU profile of this process during the load only (not the start
 *   nor the fixtures); `node server/bench/profile-summary.mjs <file>` sums it by package.
 * - QB_PROFILE_HEAP=<file>: instead, a V8 sampling heap profile of the load (every object
 *   allocated, also those collected since: what the garbage collector has to deal with); open it
 *   in Chrome DevTools (Memory) or sum it by allocating stack (bytes per request = total / requests).
 *   With QB_PROFILE_HEAP_PROMOTED=1, only the objects that outlived a scavenge (promoted to the old
 *   generation, or alive at the end): what makes scavenges and mark-compacts cost more.
 * - QB_PROFILE_TIMELINE=<file>, with `--import ./server/bench/timeline.mjs` after tsx: each request's
 *   time in the server, the garbage collector's pauses, the event-loop delay and each statement's
 *   wall time during the load; `node server/bench/timeline.mjs <file>` summarises what the slowest
 *   1 % of requests had in common (see that file).
 * - QB_PROFILE_EXPLAIN=1: after the load, EXPLAIN (ANALYZE, BUFFERS) of each query the endpoint
 *   sent through Kysely, with the values of its first run (a custom plan; on PostgreSQL the
 *   server's named statements may run a generic plan after five runs).
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { type CompiledQuery, type KyselyPlugin, type QueryId, type RootOperationNode, sql } from 'kysely';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import pino from 'pino';
import { connectDatabase, type DatabaseHandle } from '../db/connect';
import { startServer } from '../server';
import { yearCalendars } from './benchmarks/availability-scale';
import { bookingItems } from './benchmarks/bookings';
import { createClinicWithAppointments, growthClinic, growthSlots, insertAppointments } from './benchmarks/fixtures';
import { BENCH_SERVER_CONFIG, fail, makeKeys, PER_KEY, type Running, runChild, startBackendDatabase, type LoadResult } from './harness';

interface QueryStats {
  count: number;
  ms: number;
}

interface Timer extends KyselyPlugin {
  stats: Map<string, QueryStats>;
  /** The first compiled text and values of each label, for EXPLAIN. */
  compiled: Map<string, CompiledQuery>;
}

/**
 * Times every query from its start to its result, grouped by the statement's first words, and
 * keeps each label's first executed query compiled. Subqueries pass through transformQuery too,
 * before the query that holds them and, when built from the same builder, under the same query
 * id: the start is the first node seen for an id, the executed query the last.
 */
function queryTimer(compile: (node: RootOperationNode, queryId: QueryId) => CompiledQuery): Timer {
  const started = new WeakMap<QueryId, { at: number; label: string; node: RootOperationNode }>();
  const stats = new Map<string, QueryStats>();
  const compiled = new Map<string, CompiledQuery>();
  return {
    stats,
    compiled,
    transformQuery(args) {
      const seen = started.get(args.queryId);
      started.set(args.queryId, { at: seen?.at ?? performance.now(), label: label(args.node), node: args.node });
      return args.node;
    },
    async transformResult(args) {
      const s = started.get(args.queryId);
      if (s) {
        add(stats, s.label, performance.now() - s.at);
        if (!compiled.has(s.label)) compiled.set(s.label, compile(s.node, args.queryId));
      }
      return args.result;
    },
  };
}

function add(stats: Map<string, QueryStats>, name: string, ms: number): void {
  const entry = stats.get(name) ?? { count: 0, ms: 0 };
  entry.count++;
  entry.ms += ms;
  stats.set(name, entry);
}

/** The parts of a Kysely root operation node that `label` reads (a table name, when the node names one). */
interface TableRef {
  kind?: string;
  table?: { identifier?: { name?: string } };
}
interface LabelledNode {
  kind: string;
  from?: { froms?: readonly TableRef[] };
  into?: TableRef;
  table?: TableRef;
  sqlFragments?: readonly string[];
}

function label(node: LabelledNode): string {
  const table = node.from?.froms?.[0]?.table?.identifier?.name ?? node.into?.table?.identifier?.name ?? node.table?.table?.identifier?.name;
  if (node.kind === 'RawNode')
    return `raw: ${String(node.sqlFragments?.[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(0, 4)
      .join(' ')}`;
  return `${node.kind.replace('QueryNode', '')} ${table ?? ''}`.trim();
}

/** CPU time (user + system, ms) used so far by a process and its children (Linux /proc; USER_HZ = 100). */
function processTreeCpuMs(parent: number): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      if (Number(pid) === parent || Number(fields[1]) === parent) total += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}

/** The postmaster of the PostgreSQL server `database` talks to: the parent of one of its backends (same machine). */
async function postmasterPid(database: DatabaseHandle): Promise<number> {
  const { rows } = await database.executeSql('select pg_backend_pid() as pid');
  const pid = Number((rows[0] as { pid: number }).pid);
  const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
  if (!ppid) fail('profile: could not find the PostgreSQL server process');
  return ppid;
}

interface Load {
  method: 'GET' | 'POST';
  path: string;
  keys?: string[];
  items?: { key: string; body: string }[];
}

/** The clinic and the requests to send: GETs with keys, or POSTs with their own key and body. */
async function prepareLoad(r: Running, seconds: number): Promise<Load> {
  if ((process.env.QB_PROFILE_METHOD ?? 'GET').toUpperCase() === 'POST') {
    const { items } = await bookingItems(r, 1);
    return { method: 'POST', path: '/api/v1/appointments', items };
  }
  const size = process.env.QB_PROFILE_APPOINTMENTS;
  const calendar = process.env.QB_PROFILE_CALENDAR;
  let clinicId: string;
  if (calendar === 'year' || calendar === 'year-empty') {
    const { full, empty } = await yearCalendars(r.db);
    clinicId = calendar === 'year' ? full.clinicId : empty.clinicId;
  } else if (size === undefined) clinicId = (await createClinicWithAppointments(r, 'Profile', 30)).clinic.id;
  else {
    const clinic = await growthClinic(r.db, 'Profile Growth');
    await insertAppointments(r.db, clinic.clinicId, clinic.leadId, growthSlots(Number(size)), clinic.slotMs);
    clinicId = clinic.clinicId;
  }
  const path = process.env.QB_PROFILE_PATH ?? '/api/v1/appointments?per_page=25';
  return { method: 'GET', path, keys: await makeKeys(r.db, clinicId, Math.ceil((10_000 * seconds) / PER_KEY)) };
}

/** The same kind of load for `seconds` on fixtures of its own, before anything is measured (none for 0). */
async function warmUp(r: Running, seconds: number, connections: number, distinct: boolean): Promise<void> {
  if (!(seconds > 0)) return;
  const load = await prepareLoad(r, seconds);
  await runChild<LoadResult>('load.mjs', { url: r.url, ...load, connections, distinct, duration: seconds, perKey: PER_KEY });
}

/** A V8 CPU profile of this process while `during` runs, written to `file` (none without a file); or the heap profile QB_PROFILE_HEAP asks for. */
async function profiledLoad<T>(file: string | undefined, during: () => Promise<T>): Promise<T> {
  if (process.env.QB_PROFILE_HEAP) return heapProfile(process.env.QB_PROFILE_HEAP, during);
  if (!file) return during();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await during();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

interface StatementRow {
  query: string;
  calls: number;
  rows: number;
  exec_ms: number;
  plan_ms: number;
  plans: number;
}

/** Where PostgreSQL's write-ahead log ends now. */
async function walPosition(database: DatabaseHandle): Promise<string> {
  const { rows } = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(database.db);
  return rows[0]?.lsn ?? fail('pg_current_wal_lsn() returned no row');
}

/** Bytes of write-ahead log written since `lsn` (every session's, and PostgreSQL's own). */
async function walSince(database: DatabaseHandle, lsn: string): Promise<number> {
  const { rows } = await sql<{ bytes: number }>`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${lsn}::pg_lsn)::float8 as bytes`.execute(
    database.db,
  );
  return rows[0]?.bytes ?? 0;
}

/** PostgreSQL's own time per statement since the last reset (pg_stat_statements), the busiest first; not the profile's own queries (pg_stat_*). */
async function statementStats(database: DatabaseHandle): Promise<StatementRow[]> {
  const { rows } = await sql<StatementRow>`
    select regexp_replace(query, '\\s+', ' ', 'g') as query, calls::float8 as calls, rows::float8 as rows,
      total_exec_time as exec_ms, total_plan_time as plan_ms, plans::float8 as plans
    from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
      and query not like '%pg_stat_%'
    order by total_exec_time + total_plan_time desc`.execute(database.db);
  return rows;
}

function printStatements(stats: StatementRow[], requests: number): void {
  const top = stats.slice(0, Number(process.env.QB_PROFILE_TOP ?? 8));
  const exec = stats.reduce((s, x) => s + x.exec_ms, 0);
  const plan = stats.reduce((s, x) => s + x.plan_ms, 0);
  const out = process.stdout;
  out.write(
    `  PostgreSQL per request (pg_stat_statements): ${(exec / requests).toFixed(3)} ms executing, ${(plan / requests).toFixed(3)} ms planning\n`,
  );
  for (const s of top) {
    const text = s.query.length > 110 ? `${s.query.slice(0, 110)}…` : s.query;
    out.write(
      `    ${(s.calls / requests).toFixed(2)}/req, ${(s.rows / s.calls).toFixed(1)} rows, ${(s.exec_ms / s.calls).toFixed(3)} ms exec + ${(s.plan_ms / s.calls).toFixed(3)} plan each (${s.plans} plans in ${s.calls} calls): ${text}\n`,
    );
  }
}

function printTimer(timer: Timer, requests: number): void {
  let total = 0;
  let totalMs = 0;
  for (const [name, s] of [...timer.stats].sort((a, b) => b[1].ms - a[1].ms)) {
    total += s.count;
    totalMs += s.ms;
    process.stdout.write(`  ${name.padEnd(40)} ${(s.count / requests).toFixed(2)} per request, ${(s.ms / s.count).toFixed(2)} ms each\n`);
  }
  process.stdout.write(
    `  round trips per request: ${(total / requests).toFixed(2)}; database time per request (wall, queued included): ${(totalMs / requests).toFixed(2)} ms\n`,
  );
}

/**
 * What the database's sessions are doing while `during` runs, sampled every 20 ms from a
 * connection of its own: running, waiting for the client, or waiting on a lock (and which).
 */
async function sampleWaits<T>(databaseUrl: string, during: Promise<T>): Promise<{ result: T; waits: Map<string, number> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const waits = new Map<string, number>();
  let running = true;
  const sampling = (async () => {
    while (running) {
      const { rows } = await client.query<{ what: string; n: number }>(
        `select coalesce(wait_event_type || ': ' || wait_event, 'running') as what, count(*)::int as n
         from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active' group by 1`,
      );
      for (const row of rows) waits.set(row.what, (waits.get(row.what) ?? 0) + row.n);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    return { result: await during, waits };
  } finally {
    running = false;
    await sampling;
    await client.end();
  }
}

function printWaits(waits: Map<string, number>): void {
  const total = [...waits.values()].reduce((a, b) => a + b, 0);
  const shares = [...waits].sort((a, b) => b[1] - a[1]).map(([what, n]) => `${what} ${((100 * n) / total).toFixed(0)} %`);
  process.stdout.write(`  PostgreSQL sessions in a statement, sampled every 20 ms: ${shares.join(', ') || 'none'}\n`);
}

/** A V8 sampling heap profile of every allocation while `during` runs (one sample per 4 KB), written to `file`. */
async function heapProfile<T>(file: string, during: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    // QB_PROFILE_HEAP_PROMOTED=1: only what outlived a scavenge (promoted, or alive at the end).
    includeObjectsCollectedByMinorGC: process.env.QB_PROFILE_HEAP_PROMOTED !== '1',
  });
  try {
    return await during();
  } finally {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

/** EXPLAIN (ANALYZE, BUFFERS) of each query the endpoint sent through Kysely, with its first values. */
async function explainQueries(database: DatabaseHandle, timer: Timer): Promise<void> {
  for (const [name, query] of timer.compiled) {
    const { rows } = await database.executeSql(`explain (analyze, buffers) ${query.sql}`, [...query.parameters]);
    const plan = (rows as { 'QUERY PLAN': string }[]).map((row) => `    ${row['QUERY PLAN']}`).join('\n');
    process.stdout.write(`\n  EXPLAIN ANALYZE ${name}:\n${plan}\n`);
  }
}

async function main(): Promise<void> {
  const backend = (process.env.QB_PROFILE_BACKEND ?? 'postgres') as 'postgres' | 'pglite';
  const seconds = Number(process.env.QB_PROFILE_SECONDS ?? 5);
  const connections = Number(process.env.QB_PROFILE_CONNECTIONS ?? 20);
  const { connect, stop } = await startBackendDatabase(backend, 'qb_profile', undefined, { statements: true });
  const database = await connectDatabase(connect);
  const timer = queryTimer((node, queryId) => database.db.getExecutor().compileQuery(node, queryId));
  const server = await startServer({
    database: {
      ...database,
      db: database.db.withPlugin(timer),
      executePrepared: async (name, text, values) => {
        const at = performance.now();
        try {
          return await database.executePrepared(name, text, values);
        } finally {
          add(timer.stats, `prepared: ${name}`, performance.now() - at);
        }
      },
    },
    // The webhook worker is off: only the endpoint's own statements are counted (nothing here subscribes).
    config: {
      ...BENCH_SERVER_CONFIG,
      runWorker: false,
    },
    logger: pino({ level: 'error' }),
    seedDemo: false,
  });
  try {
    const running = { backend, server, db: database.db, url: server.url };
    const distinct = process.env.QB_PROFILE_DISTINCT === '1';
    await warmUp(running, Number(process.env.QB_PROFILE_WARMUP ?? 0), connections, distinct);
    const load = await prepareLoad(running, seconds);
    if (process.env.QB_PROFILE_VACUUM === '1') await database.executeSql('vacuum (analyze)');
    const postgres = backend === 'postgres' ? await postmasterPid(database) : undefined;
    if (postgres) await sql`create extension if not exists pg_stat_statements`.execute(database.db);
    if (postgres) await sql`select pg_stat_statements_reset()`.execute(database.db);
    timer.stats.clear();
    timer.compiled.clear();
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    const pgBefore = postgres ? processTreeCpuMs(postgres) : 0;
    const walBefore = postgres ? await walPosition(database) : '';
    const loaded = profiledLoad(process.env.QB_PROFILE_CPU, () =>
      runChild<LoadResult>('load.mjs', {
        url: server.url,
        ...load,
        connections,
        distinct,
        duration: seconds,
        perKey: PER_KEY,
      }),
    );
    const { result, waits } = connect.databaseUrl
      ? await sampleWaits(connect.databaseUrl, loaded)
      : { result: await loaded, waits: undefined };
    const requests = result.requests;
    const cpu = process.cpuUsage(cpuBefore);
    const loop = performance.eventLoopUtilization(loopBefore);
    const pgCpu = postgres ? processTreeCpuMs(postgres) - pgBefore : 0;
    const walBytes = postgres ? await walSince(database, walBefore) : 0;
    process.stdout.write(
      `${backend} ${load.method} ${load.path}: ${requests} requests, ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, statuses ${JSON.stringify(result.statuses)}\n`,
    );
    printTimer(timer, requests);
    process.stdout.write(
      `  CPU per request: server process ${(((cpu.user + cpu.system) / 1000 / requests) * 1000).toFixed(0)} µs (system ${((cpu.system / (cpu.user + cpu.system)) * 100).toFixed(0)} %)` +
        (postgres ? `, PostgreSQL server ${((pgCpu / requests) * 1000).toFixed(0)} µs\n` : ' (PGlite included)\n'),
    );
    // Busy is the event loop's share of the load's wall time spent running (not waiting for I/O);
    // on CPU, the process's CPU time over that wall time (its threads included). A loop busy far
    // more than it was on CPU was waiting for a core; one busy much less than 100 % had nothing to
    // run: every request was waiting for the database.
    process.stdout.write(
      `  event loop busy ${(loop.utilization * 100).toFixed(0)} % of ${(loop.idle + loop.active).toFixed(0)} ms; server process on CPU ${(((cpu.user + cpu.system) / 1000 / (loop.idle + loop.active)) * 100).toFixed(0)} % of it\n`,
    );
    if (postgres)
      process.stdout.write(`  WAL per request: ${(walBytes / requests).toFixed(0)} bytes (the whole server's, during the load)\n`);
    if (postgres) printStatements(await statementStats(database), requests);
    if (waits) printWaits(waits);
    if (process.env.QB_PROFILE_EXPLAIN === '1') await explainQueries(database, timer);
  } finally {
    await server.close();
    await database.close();
    await stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

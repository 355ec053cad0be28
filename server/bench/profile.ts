/**
 * `npm run bench:profile`: where the time of one request goes. Starts the server in this process
 * on PostgreSQL (embedded) or PGlite, loads one endpoint with bench/load.mjs for a few seconds,
 * and prints database round trips per request and their time (measured in the server, from the
 * query's start to its result, so waiting for a pooled connection counts). With QB_PROFILE_CPU
 * set to a file name, it also records a V8 CPU profile of this process during the load only (not
 * the start-up or the fixtures) and writes it there; `node bench/profile-summary.mjs <file>`
 * sums it by package.
 *
 * Environment: QB_PROFILE_BACKEND (postgres | pglite, default postgres), QB_PROFILE_PATH (default
 * /api/v1/appointments?per_page=25), QB_PROFILE_SECONDS (default 5), QB_PROFILE_CONNECTIONS (default 20),
 * QB_PROFILE_DISTINCT=1 (a URL of its own every request: never answered from memory), QB_PROFILE_CPU. It also prints CPU time per request of this process and, on PostgreSQL, of its processes.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { KyselyPlugin, QueryId } from 'kysely';
import pino from 'pino';
import { connectDatabase, type DatabaseHandle } from '../db/connect';
import { startServer } from '../server';
import { createClinic } from '../services/clinics';
import { api, fail, makeKeys, openSlots, PER_KEY, runChild, startBackendDatabase, type LoadResult } from './harness';

interface QueryStats {
  count: number;
  ms: number;
}

/** Times every query from its start to its result, grouped by the statement's first words. */
function queryTimer(): KyselyPlugin & { stats: Map<string, QueryStats> } {
  const started = new WeakMap<QueryId, { at: number; label: string }>();
  const stats = new Map<string, QueryStats>();
  return {
    stats,
    transformQuery(args) {
      // Subqueries pass here too; only the outermost (first seen) start of a query id counts.
      if (!started.has(args.queryId)) started.set(args.queryId, { at: performance.now(), label: label(args.node) });
      return args.node;
    },
    async transformResult(args) {
      const s = started.get(args.queryId);
      if (s) {
        const entry = stats.get(s.label) ?? { count: 0, ms: 0 };
        entry.count++;
        entry.ms += performance.now() - s.at;
        stats.set(s.label, entry);
      }
      return args.result;
    },
  };
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

/** CPU time (user + system, ms) used so far by every process whose command line names postgres (Linux /proc). */
function postgresCpuMs(): number {
  const tick = 10; // ms per clock tick (USER_HZ = 100 on Linux)
  let total = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres')) continue;
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}

async function main(): Promise<void> {
  const backend = (process.env.QB_PROFILE_BACKEND ?? 'postgres') as 'postgres' | 'pglite';
  const urlPath = process.env.QB_PROFILE_PATH ?? '/api/v1/appointments?per_page=25';
  const seconds = Number(process.env.QB_PROFILE_SECONDS ?? 5);
  const connections = Number(process.env.QB_PROFILE_CONNECTIONS ?? 20);
  const { connect, stop } = await startBackendDatabase(backend, 'qb_profile');
  const database: DatabaseHandle = await connectDatabase(connect);
  const timer = queryTimer();
  const server = await startServer({
    database: {
      ...database,
      db: database.db.withPlugin(timer),
      executePrepared: async (name, text, values) => {
        const at = performance.now();
        try {
          return await database.executePrepared(name, text, values);
        } finally {
          const entry = timer.stats.get(`prepared: ${name}`) ?? { count: 0, ms: 0 };
          entry.count++;
          entry.ms += performance.now() - at;
          timer.stats.set(`prepared: ${name}`, entry);
        }
      },
    },
    config: {
      port: 0,
      host: '127.0.0.1',
      devTools: true,
      allowPrivateWebhooks: true,
      failedAuthPerMinute: 100_000,
      clinicRateLimitPerMinute: 100_000_000,
    },
    logger: pino({ level: 'error' }),
    seedDemo: false,
  });
  try {
    const clinic = await createClinic(database.db, 'Profile', 'America/New_York');
    const lead = await api<{ id: string }>(server.url, clinic.api_key, 'POST', '/api/v1/leads', { email: 'profile@example.com' });
    for (const slot of await openSlots(server.url, clinic.api_key, 30)) {
      const res = await api(server.url, clinic.api_key, 'POST', '/api/v1/appointments', { lead_id: lead.body.id, scheduled_at: slot });
      if (res.status !== 201) fail(`booking a fixture answered ${res.status}`);
    }
    const keys = await makeKeys(database.db, clinic.clinic.id, Math.ceil((10_000 * seconds) / PER_KEY));
    timer.stats.clear();
    const cpuFile = process.env.QB_PROFILE_CPU;
    const session = cpuFile ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const cpuBefore = process.cpuUsage();
    const pgBefore = postgresCpuMs();
    const result = await runChild<LoadResult>('load.mjs', {
      url: server.url,
      method: 'GET',
      path: urlPath,
      keys,
      connections,
      distinct: process.env.QB_PROFILE_DISTINCT === '1',
      duration: seconds,
      perKey: PER_KEY,
    });
    if (session && cpuFile) {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(cpuFile, JSON.stringify(profile));
      session.disconnect();
    }
    const requests = result.requests;
    const cpu = process.cpuUsage(cpuBefore);
    const pgCpu = postgresCpuMs() - pgBefore;
    process.stdout.write(
      `${backend} GET ${urlPath}: ${requests} requests, ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, statuses ${JSON.stringify(result.statuses)}\n`,
    );
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
    process.stdout.write(
      `  CPU per request: server process ${(((cpu.user + cpu.system) / 1000 / requests) * 1000).toFixed(0)} µs` +
        (backend === 'postgres' ? `, PostgreSQL processes ${((pgCpu / requests) * 1000).toFixed(0)} µs\n` : '\n'),
    );
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

/**
 * 7. Scale-out on PostgreSQL: GET /appointments?per_page=25 served by 1, 2 and 4 server
 * processes (`server/main.ts`, webhook worker off) on one database, each process warmed up first
 * and then loaded by a generator of its own with the bench's connections and its own keys (so
 * every process sees the concurrency one process sees alone). Throughput is the sum; 2 and 4
 * processes are reported against 1 (no goal on a 2-core machine: the processes, the load
 * generators and PostgreSQL share the two cores).
 *
 * Until issue 20 the bench's connections were divided among the processes and the processes were
 * measured cold: that made the rows halve with each doubling (see BENCHMARKS.md, scale-out).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createClinicWithAppointments,
  fail,
  makeKeys,
  PER_KEY,
  ROOT,
  WARM_UP_SECONDS,
  type Bench,
  type LoadResult,
  type Running,
} from './fixtures';

export const PROCESS_COUNTS = [1, 2, 4];

interface ServerProcess {
  child: ChildProcess;
  url: string;
}

/**
 * The garbage collector's settings the bench runs with (`npm run bench`, as `npm start` does:
 * README, "Memory"): each server process gets the same as the server under test of the other rows.
 */
const collectorFlags = () =>
  process.execArgv.filter((flag) => flag.startsWith('--max-semi-space-size') || flag === '--no-allocation-site-pretenuring');

function startServerProcess(databaseUrl: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...collectorFlags(), '--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      QB_WORKER: 'off',
      QB_CLINIC_RATE_LIMIT: '100000000',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server process did not start:\n${output}`)), 90_000);
    const onData = (d: Buffer) => {
      output += d;
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited with ${code}:\n${output}`));
    });
  });
}

function stopServerProcess(p: ServerProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.once('exit', () => resolve());
    p.child.kill('SIGTERM');
  });
}

export async function scaleOut(bench: Bench, r: Running, counts = PROCESS_COUNTS): Promise<void> {
  const databaseUrl = r.databaseUrl;
  if (r.backend !== 'postgres' || !databaseUrl) return;
  const urlPath = '/api/v1/appointments?per_page=25';
  bench.log(`7. ${r.backend}: GET ${urlPath} on 1, 2 and 4 server processes sharing one database`);
  const clinic = await createClinicWithAppointments(r, 'Bench Scale-out', 30);
  let single = 0;
  for (const n of counts) {
    const servers = await Promise.all(Array.from({ length: n }, () => startServerProcess(databaseUrl)));
    try {
      // Each process gets keys of its own: one set for the warm-up, one for the measured load.
      const loads = [];
      for (const s of servers) {
        const warm = await makeKeys(r.db, clinic.clinic.id, Math.ceil((12_000 * WARM_UP_SECONDS) / PER_KEY));
        loads.push({ url: s.url, warm, measured: await makeKeys(r.db, clinic.clinic.id, bench.getKeys) });
      }
      await Promise.all(loads.map((l) => bench.warmUp({ url: l.url, method: 'GET', path: urlPath, keys: l.warm }, 200)));
      const results = await Promise.all(loads.map((l) => bench.load({ url: l.url, method: 'GET', path: urlPath, keys: l.measured }, 200)));
      const rps = results.reduce((sum, x) => sum + x.rps, 0);
      const p99 = Math.max(...results.map((x: LoadResult) => x.p99));
      if (n === 1) single = rps;
      if (!single) fail('scale-out: the 1-process run must come first');
      bench.record(
        `postgres: GET ${urlPath} throughput, ${n} server process${n > 1 ? 'es' : ''} on one database, ${bench.settings.connections} connections each (vs 1 process)`,
        rps,
        'req/s',
        single,
      );
      bench.log(`  ${n} processes: p99 ${p99} ms`);
    } finally {
      await Promise.all(servers.map(stopServerProcess));
    }
  }
}

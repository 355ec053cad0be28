/**
 * `npm run bench`: the reference server against the physical limit and a peer, every figure a
 * ratio of two measurements taken in the same run. The server runs in this process; the load
 * comes from child processes (bench/load.mjs on autocannon, bench/race.mjs, bench/webhooks.mjs)
 * on loopback. Prints a table, writes bench/results.json and BENCHMARKS.md.
 *
 * The harness (settings, ceiling, load, rows) is bench/harness.ts; each benchmark is a module of
 * bench/benchmarks/, registered below in one line; the goal table is bench/goals.ts. Goal rows
 * are measured QB_BENCH_RUNS times (default 3) and judged on the median run.
 * Environment: QB_BENCH_SECONDS (per autocannon run, default 5), QB_BENCH_CONNECTIONS (default
 * 20), QB_BENCH_RUNS (default 3), QB_BENCH_ONLY (numbers or names, e.g. "1,3" or
 * "reads,growth"), QB_BENCH_BACKENDS ("pglite" or "postgres"), QB_BENCH_GROWTH_SIZES (the growth
 * rows' clinic sizes, default "1000,3000,10000,30000,100000"; smaller for a quick check).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureApp } from './app';
import { availabilityAtScale } from './benchmarks/availability-scale';
import { bookings } from './benchmarks/bookings';
import { growth } from './benchmarks/growth';
import { noisyNeighbour } from './benchmarks/noisy-neighbour';
import { reads } from './benchmarks/reads';
import { scaleOut } from './benchmarks/scale-out';
import { webhooks, webhookSettings } from './benchmarks/webhooks';
import { GOALS } from './goals';
import {
  Bench,
  describeGoal,
  ROOT,
  SERVER_DIR,
  settingsFrom,
  startCeiling,
  withBackend,
  type Backend,
  type Row,
  type Running,
} from './harness';

/** The benchmarks against a backend, in run order, by number and name. */
const BACKEND_BENCHMARKS: { id: string; name: string; run: (bench: Bench, r: Running) => Promise<void> }[] = [
  { id: '1', name: 'reads', run: reads },
  { id: '2', name: 'bookings', run: bookings },
  { id: '3', name: 'availability-scale', run: availabilityAtScale },
  { id: '4', name: 'webhooks', run: (bench, r) => webhooks(bench, r, webhookSettings(process.env)) },
  { id: '6', name: 'growth', run: growth },
  { id: '7', name: 'scale-out', run: scaleOut },
  { id: '8', name: 'noisy-neighbour', run: noisyNeighbour },
];
const APP = { id: '5', name: 'app' };

/** `min–max (n runs)` of a row measured several times; a dash for a single run. */
const spread = (r: Row): string => (r.runs && r.runs > 1 ? `${r.ratio_min}–${r.ratio_max} (${r.runs} runs)` : '–');

function table(bench: Bench): string {
  const header = '| Figure | Value | Unit | Baseline | Ratio | Ratio spread |\n|---|---:|---|---:|---:|---:|';
  return [header, ...bench.rows.map((r) => `| ${r.name} | ${r.value} | ${r.unit} | ${r.baseline} | ${r.ratio} | ${spread(r)} |`)].join(
    '\n',
  );
}

/** The issue's goal table as this run measured it: each goal row's median ratio, spread, and met or not. */
function goalTable(bench: Bench, backends: Backend[]): string {
  const header = '| Goal row (issue 20) | Goal | Before (issue) | This run (median run) | Spread | Met |\n|---|---:|---:|---:|---:|---|';
  const lines = GOALS.filter((g) => backends.includes(g.backend)).map((g) => {
    const row = bench.judged.get(g.key);
    const start = `| ${g.issue} | ${describeGoal(g.goal)} | ${g.before} |`;
    if (!row) return `${start} not measured | – | – |`;
    return `${start} ${row.ratio} (${row.value} ${row.unit}) | ${spread(row)} | ${row.met ? 'yes' : '**no**'} |`;
  });
  return [header, ...lines].join('\n');
}

function machine(bench: Bench): string[] {
  const cpus = os.cpus();
  return [
    `- Date: ${new Date().toISOString()}`,
    `- CPUs (nproc): ${os.availableParallelism()} × ${cpus[0]?.model.trim() ?? 'unknown'}`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node: ${process.version} (${os.platform()} ${os.release()})`,
    `- Load average when the run ended: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} (1, 5, 15 min)`,
    `- Per autocannon run: ${bench.settings.duration} s, ${bench.settings.connections} connections; goal rows: ${bench.settings.runs} runs each`,
  ];
}

function writeReport(bench: Bench, backends: Backend[]): void {
  const md = table(bench);
  const goals = goalTable(bench, backends);
  process.stdout.write(`\n${md}\n\nGoals (issue 20), judged on the median run:\n\n${goals}\n\n`);
  if (bench.notes.length) process.stdout.write(`Notes:\n${bench.notes.map((n) => `- ${n}`).join('\n')}\n`);
  fs.writeFileSync(path.join(ROOT, 'bench/results.json'), `${JSON.stringify(bench.rows, null, 2)}\n`);
  const template = fs.readFileSync(path.join(SERVER_DIR, 'bench/BENCHMARKS.template.md'), 'utf8');
  fs.writeFileSync(
    path.join(ROOT, 'BENCHMARKS.md'),
    template
      .replace('{{MACHINE}}', machine(bench).join('\n'))
      .replace('{{GOALS}}', goals)
      .replace('{{TABLE}}', md)
      .replace('{{NOTES}}', bench.notes.length ? bench.notes.map((n) => `- ${n}`).join('\n') : '- None.')
      .replace('{{SECONDS}}', String(Math.round((Date.now() - bench.started) / 1000)))
      .replace(/\{\{ratio:([^}]+)\}\}/g, (_, name: string) => ratioOf(bench, name)),
  );
}

/**
 * `{{ratio:<row name>}}` in the template: this run's ratio (and value) of the row of that name, or
 * of the first row whose name starts with it; a dash when the run measured no such row.
 */
function ratioOf(bench: Bench, name: string): string {
  const row = bench.rows.find((r) => r.name === name) ?? bench.rows.find((r) => r.name.startsWith(name));
  return row ? `${row.ratio} (${row.value})` : '–';
}

async function main(): Promise<void> {
  const all = [...BACKEND_BENCHMARKS, APP];
  const only = new Set((process.env.QB_BENCH_ONLY ?? all.map((b) => b.id).join(',')).split(',').map((s) => s.trim()));
  const selected = (b: { id: string; name: string }) => only.has(b.id) || only.has(b.name);
  const unknown = [...only].filter((o) => !all.some((b) => b.id === o || b.name === o));
  if (unknown.length > 0) {
    throw new Error(`QB_BENCH_ONLY names no benchmark "${unknown.join('", "')}": use ${all.map((b) => `${b.id} (${b.name})`).join(', ')}`);
  }
  const backends = (process.env.QB_BENCH_BACKENDS ?? 'pglite,postgres').split(',').map((s) => s.trim()) as Backend[];
  const settings = settingsFrom(process.env);
  const ceiling = await startCeiling();
  const bench = new Bench(settings, ceiling);
  bench.log(`machine: ${os.availableParallelism()} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  try {
    const chosen = BACKEND_BENCHMARKS.filter(selected);
    for (const backend of chosen.length > 0 ? backends : []) {
      await withBackend(bench, backend, async (r) => {
        for (const b of chosen) await b.run(bench, r);
      });
    }
    if (selected(APP)) {
      bench.log('5. the Zapier app: build size, cold load, HTTP requests per operation');
      const app = await measureApp(ROOT, bench.tmp, (m) => bench.log(m));
      for (const row of app.rows) bench.record(row.name, row.value, row.unit, row.baseline);
      bench.notes.push(...app.notes);
    }
  } finally {
    await ceiling.close();
  }
  writeReport(bench, backends);
  bench.log(`wrote bench/results.json and BENCHMARKS.md in ${Math.round((Date.now() - bench.started) / 1000)} s`);
  fs.rmSync(bench.tmp, { recursive: true, force: true });
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

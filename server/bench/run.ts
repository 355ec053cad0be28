/**
 * `npm run bench`: the reference server against the physical limit and a peer, every figure a
 * ratio of two measurements taken in the same run. The server runs in this process; the load
 * comes from child processes (bench/load.mjs on autocannon, bench/race.mjs, bench/webhooks.mjs)
 * on loopback. Prints a table, writes bench/results.json and BENCHMARKS.md.
 *
 * The harness (settings, ceiling, load, rows) is bench/harness.ts; each benchmark is a module of
 * bench/benchmarks/. Environment: QB_BENCH_SECONDS (per autocannon run, default 5),
 * QB_BENCH_CONNECTIONS (default 20), QB_BENCH_ONLY (numbers or names, e.g. "1,3" or
 * "reads,growth"), QB_BENCH_BACKENDS ("pglite" or "postgres").
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
import { Bench, ROOT, SERVER_DIR, startCeiling, withBackend, type Backend, type Running } from './harness';

/** The benchmarks against a backend, in run order, by number and name. */
const BACKEND_BENCHMARKS: { id: string; name: string; run: (bench: Bench, r: Running) => Promise<void> }[] = [
  { id: '1', name: 'reads', run: reads },
  { id: '2', name: 'bookings', run: bookings },
  { id: '3', name: 'availability-scale', run: availabilityAtScale },
  { id: '4', name: 'webhooks', run: (bench, r) => webhooks(bench, r, webhookSettings(process.env)) },
  { id: '6', name: 'growth', run: (bench, r) => growth(bench, r) },
  { id: '7', name: 'scale-out', run: (bench, r) => scaleOut(bench, r) },
  { id: '8', name: 'noisy-neighbour', run: (bench, r) => noisyNeighbour(bench, r) },
];
const APP = { id: '5', name: 'app' };

function table(bench: Bench): string {
  const header = '| Figure | Value | Unit | Baseline | Ratio |\n|---|---:|---|---:|---:|';
  return [header, ...bench.rows.map((r) => `| ${r.name} | ${r.value} | ${r.unit} | ${r.baseline} | ${r.ratio} |`)].join('\n');
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
    `- Per autocannon run: ${bench.settings.duration} s, ${bench.settings.connections} connections`,
  ];
}

function writeReport(bench: Bench): void {
  const md = table(bench);
  process.stdout.write(`\n${md}\n\n`);
  if (bench.notes.length) process.stdout.write(`Notes:\n${bench.notes.map((n) => `- ${n}`).join('\n')}\n`);
  fs.writeFileSync(path.join(ROOT, 'bench/results.json'), `${JSON.stringify(bench.rows, null, 2)}\n`);
  const template = fs.readFileSync(path.join(SERVER_DIR, 'bench/BENCHMARKS.template.md'), 'utf8');
  fs.writeFileSync(
    path.join(ROOT, 'BENCHMARKS.md'),
    template
      .replace('{{MACHINE}}', machine(bench).join('\n'))
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
  const only = new Set((process.env.QB_BENCH_ONLY ?? '1,2,3,4,5,6,7,8').split(',').map((s) => s.trim()));
  const selected = (b: { id: string; name: string }) => only.has(b.id) || only.has(b.name);
  const backends = (process.env.QB_BENCH_BACKENDS ?? 'pglite,postgres').split(',').map((s) => s.trim()) as Backend[];
  const ceiling = await startCeiling();
  const bench = new Bench(
    { duration: Number(process.env.QB_BENCH_SECONDS ?? 5), connections: Number(process.env.QB_BENCH_CONNECTIONS ?? 20) },
    ceiling,
  );
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
  writeReport(bench);
  bench.log(`wrote bench/results.json and BENCHMARKS.md in ${Math.round((Date.now() - bench.started) / 1000)} s`);
  fs.rmSync(bench.tmp, { recursive: true, force: true });
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

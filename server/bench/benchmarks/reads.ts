/**
 * 1. Authenticated reads against the ceiling: the appointment list and availability. The same
 * URL again and again (the page cache answers it) once; a new URL every request (never from
 * memory: the database path, the goal rows) in `runs` runs, each against the ceiling
 * measured right after it.
 */
import { goalFor, type GoalKind } from '../goals';
import { capture, createClinicWithAppointments, fail, makeKeys, type Bench, type Pair, type Running } from './fixtures';

export const READ_PATHS = [
  ['GET /api/v1/appointments?per_page=25', '/api/v1/appointments?per_page=25', 'list-new-url-throughput'],
  ['GET /api/v1/availability?limit=5', '/api/v1/availability?limit=5', 'availability-new-url-throughput'],
] as const satisfies readonly (readonly [string, string, GoalKind])[];

export async function reads(bench: Bench, r: Running): Promise<void> {
  bench.log(`1. ${r.backend}: authenticated reads against a bare node:http server answering the same bytes`);
  const clinic = await createClinicWithAppointments(r, 'Bench Reads', 30);
  for (const [label, urlPath, throughputGoal] of READ_PATHS) {
    const keys = await makeKeys(r.db, clinic.clinic.id, bench.getKeys);
    const key = keys.pop();
    if (!key) fail(`${label}: no API key was made`);
    const captured = await capture(r.url, 'GET', urlPath, key);
    if (captured.status !== 200) fail(`${label} answered ${captured.status}`);
    bench.ceiling.set('GET', new URL(urlPath, 'http://x').pathname, captured);
    const real = await bench.load({ url: r.url, method: 'GET', path: urlPath, keys }, 200);
    const bare = await bench.load({ url: bench.ceiling.url, method: 'GET', path: urlPath, keys }, 200);
    bench.record(`${r.backend}: ${label} throughput`, real.rps, 'req/s', bare.rps);
    bench.record(`${r.backend}: ${label} p99 latency (${bench.settings.connections} connections)`, real.p99, 'ms', bare.p99);
    // The same read with a URL of its own every time: never from memory, always the database path.
    const runs = await bench.repeat(async () => {
      const keysMiss = await makeKeys(r.db, clinic.clinic.id, bench.getKeys);
      const miss = await bench.load({ url: r.url, method: 'GET', path: urlPath, keys: keysMiss, distinct: true }, 200);
      const ceiling = await bench.load({ url: bench.ceiling.url, method: 'GET', path: urlPath, keys: keysMiss, distinct: true }, 200);
      return { miss, ceiling };
    });
    const pairs = (pick: (l: { rps: number; p99: number }) => number): Pair[] =>
      runs.map(({ miss, ceiling }) => ({ value: pick(miss), baseline: pick(ceiling) }));
    bench.recordRuns(
      `${r.backend}: ${label} throughput, a new URL every request (never from memory)`,
      'req/s',
      pairs((l) => l.rps),
      goalFor(throughputGoal, r.backend),
    );
    bench.recordRuns(
      `${r.backend}: ${label} p99 latency, a new URL every request`,
      'ms',
      pairs((l) => l.p99),
      throughputGoal === 'list-new-url-throughput' ? goalFor('list-new-url-p99', r.backend) : undefined,
    );
  }
}

/**
 * 4. Webhooks: write acknowledged -> signed delivery received, and the drain of a fan-out (a goal
 * row: `runs` runs, each on a clinic of its own, met only when every run meets it).
 */
import { createClinic } from '../../services/clinics';
import { goalFor } from '../goals';
import { fail, makeKeys, PER_KEY, round, type Bench, type Running } from './fixtures';

export interface WebhookSettings {
  subscriptions: number;
  events: number;
  /** Events per second of the latency run. */
  rate: number;
  fanoutEvents: number;
}

export function webhookSettings(env: NodeJS.ProcessEnv): WebhookSettings {
  return {
    subscriptions: 50,
    events: Number(env.QB_BENCH_WEBHOOK_EVENTS ?? 1000),
    rate: Number(env.QB_BENCH_WEBHOOK_RATE ?? 10),
    fanoutEvents: Number(env.QB_BENCH_WEBHOOK_FANOUT_EVENTS ?? 10),
  };
}

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

/** One bench/webhooks.mjs run: `clinics` clinics with `subscriptions` each, `events` leads at `rate`/s. */
async function webhookRun(
  bench: Bench,
  r: Running,
  clinics: number,
  subscriptions: number,
  events: number,
  rate: number,
): Promise<WebhookResult> {
  const groups = [];
  for (let c = 0; c < clinics; c++) {
    const clinic = await createClinic(r.db, `Bench Webhooks ${c}`, 'America/New_York');
    const writes = subscriptions + Math.ceil(events / clinics);
    groups.push({ keys: await makeKeys(r.db, clinic.clinic.id, Math.ceil(writes / PER_KEY)), subscriptions });
  }
  const result = await bench.child<WebhookResult>('webhooks.mjs', { url: r.url, groups, events, rate, timeoutMs: 240_000 });
  if (result.writeErrorCount > 0) fail(`webhook writes failed: ${result.writeErrors.join('; ')}`);
  if (result.missing > 0 || result.unsigned > 0)
    fail(`webhooks on ${r.backend}: ${result.missing} of ${result.expected} deliveries missing after 240 s, ${result.unsigned} unsigned`);
  bench.log(
    `  ${result.deliveries} deliveries of ${result.events} events (${result.duplicates} duplicates); writes took ${round(result.writeSeconds, 1)} s, last delivery at ${round(result.drainedSeconds, 1)} s; ${result.negative} arrived before the write's response`,
  );
  return result;
}

export async function webhooks(bench: Bench, r: Running, s: WebhookSettings): Promise<void> {
  bench.log(`4. ${r.backend}: webhook latency, ${s.events} events at ${s.rate}/s over ${s.subscriptions} subscriptions (one per clinic)`);
  const spread = await webhookRun(bench, r, s.subscriptions, 1, s.events, s.rate);
  bench.record(
    `${r.backend}: webhook latency p50, write response -> signed delivery (${s.events} events at ${s.rate}/s, ${s.subscriptions} subscriptions; vs direct POST)`,
    spread.p50,
    'ms',
    spread.directP50,
  );
  bench.record(`${r.backend}: webhook latency p99, same run (vs direct POST)`, spread.p99, 'ms', spread.directP99);
  bench.log(`4b. ${r.backend}: fan-out, ${s.fanoutEvents} events written at once to one clinic with ${s.subscriptions} subscriptions`);
  const fanouts = await bench.repeat(() => webhookRun(bench, r, 1, s.subscriptions, s.fanoutEvents, 1000));
  const expected = fanouts[0]?.expected ?? 0;
  bench.recordRuns(
    `${r.backend}: webhook fan-out drain, ${expected} deliveries (vs direct POSTs, 8 at a time)`,
    'deliveries/s',
    fanouts.map((f) => ({ value: f.deliveries / f.drainedSeconds, baseline: f.directPerSecond })),
    goalFor('webhook-fanout-drain', r.backend),
  );
  bench.recordRuns(
    `${r.backend}: webhook fan-out latency p99, same runs (vs direct POST)`,
    'ms',
    fanouts.map((f) => ({ value: f.p99, baseline: f.directP99 })),
  );
}

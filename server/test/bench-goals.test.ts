/**
 * `npm run bench` judges each goal row of issue 20 on the median of several runs, so one noisy
 * run neither meets nor misses a goal; the spread stands beside it in bench/results.json. No
 * timing here: the runs are given, the test checks what the bench makes of them.
 */
import fs from 'node:fs';
import { goalFor, GOALS } from '../bench/goals';
import { Bench, settingsFrom, type Ceiling } from '../bench/harness';

const ceiling: Ceiling = { url: 'http://127.0.0.1:1', set: () => undefined, close: async () => undefined };

function quietBench(): Bench {
  const bench = new Bench(settingsFrom({}), ceiling);
  bench.log = () => undefined;
  return bench;
}

describe('bench goal rows', () => {
  let bench: Bench;
  beforeEach(() => {
    bench = quietBench();
  });
  afterEach(() => fs.rmSync(bench.tmp, { recursive: true, force: true }));

  test('a row of three runs is the median run, with every ratio and the spread beside it', () => {
    const row = bench.recordRuns('postgres: list', 'req/s', [
      { value: 900, baseline: 10_000 },
      { value: 3000, baseline: 10_000 },
      { value: 1800, baseline: 12_000 },
    ]);
    expect(row).toEqual({
      name: 'postgres: list',
      value: 1800,
      unit: 'req/s',
      baseline: 12_000,
      ratio: 0.15,
      runs: 3,
      run_ratios: [0.09, 0.3, 0.15],
      ratio_min: 0.09,
      ratio_max: 0.3,
      value_min: 900,
      value_max: 3000,
    });
    expect(bench.rows).toEqual([row]);
  });

  test('one run far off neither meets nor misses a goal judged on the median', () => {
    const goal = goalFor('list-new-url-throughput', 'postgres'); // ≥ 0.15
    const missedOnce = bench.recordRuns(
      'met',
      'req/s',
      [
        { value: 100, baseline: 10_000 },
        { value: 1600, baseline: 10_000 },
        { value: 1700, baseline: 10_000 },
      ],
      goal,
    );
    expect(missedOnce).toMatchObject({ ratio: 0.16, goal: '≥ 0.15', met: true });
    const metOnce = bench.recordRuns(
      'missed',
      'req/s',
      [
        { value: 9000, baseline: 10_000 },
        { value: 1400, baseline: 10_000 },
        { value: 1000, baseline: 10_000 },
      ],
      goal,
    );
    expect(metOnce).toMatchObject({ ratio: 0.14, met: false });
    expect(bench.judged.get('postgres list-new-url-throughput')).toBe(metOnce);
  });

  test('an upper bound is judged on the median too', () => {
    const row = bench.recordRuns(
      'p99',
      'ms',
      [
        { value: 40, baseline: 10 },
        { value: 45, baseline: 10 },
        { value: 300, baseline: 10 },
      ],
      goalFor('list-new-url-p99', 'postgres'), // ≤ 5
    );
    expect(row).toMatchObject({ ratio: 4.5, goal: '≤ 5', met: true, ratio_max: 30 });
  });

  test('the fan-out drain must meet its goal in every run', () => {
    const goal = goalFor('webhook-fanout-drain', 'postgres'); // ≥ 0.35 in every run
    const runs = (third: number) => [
      { value: 400, baseline: 1000 },
      { value: 500, baseline: 1000 },
      { value: third, baseline: 1000 },
    ];
    expect(bench.recordRuns('all three', 'deliveries/s', runs(360), goal)).toMatchObject({ met: true });
    expect(bench.recordRuns('two of three', 'deliveries/s', runs(340), goal)).toMatchObject({ ratio: 0.4, met: false });
  });

  test('the goal table is the issue: one goal row per backend the issue names, no key twice', () => {
    expect(GOALS).toHaveLength(14);
    expect(new Set(GOALS.map((g) => g.key)).size).toBe(14);
    expect(goalFor('list-new-url-p99', 'pglite')).toBeUndefined();
    expect(goalFor('webhook-fanout-drain', 'pglite')).toBeUndefined();
  });
});

describe('bench settings', () => {
  test('defaults: three runs, growth from 1,000 to 100,000 appointments', () => {
    expect(settingsFrom({})).toEqual({ duration: 5, connections: 20, runs: 3, growthSizes: [1000, 3000, 10_000, 30_000, 100_000] });
  });

  test('QB_BENCH_GROWTH_SIZES shrinks the growth rows for a quick check; nonsense is refused with what to write', () => {
    expect(settingsFrom({ QB_BENCH_GROWTH_SIZES: '200, 1000', QB_BENCH_RUNS: '1' })).toMatchObject({ runs: 1, growthSizes: [200, 1000] });
    expect(() => settingsFrom({ QB_BENCH_GROWTH_SIZES: '1000,200' })).toThrow(/increasing whole numbers of at least 25/);
    expect(() => settingsFrom({ QB_BENCH_GROWTH_SIZES: '10,100' })).toThrow(/QB_BENCH_GROWTH_SIZES/);
    expect(() => settingsFrom({ QB_BENCH_RUNS: '0' })).toThrow(/QB_BENCH_RUNS must be a positive number/);
  });
});

/**
 * The goal table of issue 20 (performance, round 4): ratios within one run, each judged on the
 * median of `Settings.runs` runs (the fan-out drain: on every run). "A new URL every request"
 * rows are never answered from the page cache; the cached rows stay in the results without a
 * goal. A benchmark module records a goal row with `bench.recordRuns(name, unit, pairs,
 * goalFor(kind, backend))`; run.ts prints this table, met or not, beside the results.
 */
import type { Backend, Goal } from './harness';

export type GoalKind =
  | 'list-new-url-throughput'
  | 'list-new-url-p99'
  | 'availability-new-url-throughput'
  | 'booking-throughput'
  | 'availability-full-vs-empty-p50'
  | 'list-first-page-growth-p50'
  | 'list-deep-page-growth-p50'
  | 'webhook-fanout-drain';

export interface GoalRow {
  /** `<backend> <kind>`: one goal row of one backend. */
  key: string;
  kind: GoalKind;
  backend: Backend;
  /** The row as the issue names it. */
  issue: string;
  goal: Goal;
  /** The issue's own figure before round 4 (its full run of 2026-12-05), or a dash for a new row. */
  before: string;
}

const at = (op: Goal['op'], target: number, every = false): Goal => (every ? { op, target, every } : { op, target });

/** In the issue's order, with the issue's figure before round 4. */
const TABLE: [GoalKind, Backend, string, Goal, string][] = [
  ['list-new-url-throughput', 'postgres', 'postgres list, new URL every request, throughput', at('>=', 0.15), '0.084 (1,679 req/s)'],
  ['list-new-url-throughput', 'pglite', 'pglite list, new URL every request, throughput', at('>=', 0.06), '0.027 (450 req/s)'],
  ['list-new-url-p99', 'postgres', 'postgres list, new URL every request, p99', at('<=', 5), '10 (30 ms)'],
  [
    'availability-new-url-throughput',
    'postgres',
    'postgres availability, new URL every request, throughput',
    at('>=', 0.15),
    '0.106 (2,362 req/s)',
  ],
  [
    'availability-new-url-throughput',
    'pglite',
    'pglite availability, new URL every request, throughput',
    at('>=', 0.06),
    '0.027 (683 req/s)',
  ],
  ['booking-throughput', 'postgres', 'postgres POST /appointments throughput', at('>=', 0.12), '0.093 (1,046 req/s)'],
  ['booking-throughput', 'pglite', 'pglite POST /appointments throughput', at('>=', 0.05), '0.028 (718 req/s)'],
  [
    'availability-full-vs-empty-p50',
    'postgres',
    'postgres availability p50 at 10k + 1k vs empty, new URL every request',
    at('<=', 1.3),
    '1.78',
  ],
  [
    'availability-full-vs-empty-p50',
    'pglite',
    'pglite availability p50 at 10k + 1k vs empty, new URL every request',
    at('<=', 1.3),
    '2.14',
  ],
  [
    'list-first-page-growth-p50',
    'postgres',
    'postgres list p50 at 100,000 appointments vs 1,000, first page',
    at('<=', 1.5),
    '20.7 (580 ms)',
  ],
  ['list-first-page-growth-p50', 'pglite', 'pglite list p50 at 100,000 appointments vs 1,000, first page', at('<=', 1.5), '7.5 (321 ms)'],
  [
    'list-deep-page-growth-p50',
    'postgres',
    'postgres list p50 at 100,000 appointments vs 1,000, a deep page (by cursor)',
    at('<=', 1.5),
    '–',
  ],
  ['list-deep-page-growth-p50', 'pglite', 'pglite list p50 at 100,000 appointments vs 1,000, a deep page (by cursor)', at('<=', 1.5), '–'],
  ['webhook-fanout-drain', 'postgres', 'postgres webhook fan-out drain (three runs of three)', at('>=', 0.35, true), '0.24'],
];

export const GOALS: GoalRow[] = TABLE.map(([kind, backend, issue, goal, before]) => ({
  key: `${backend} ${kind}`,
  kind,
  backend,
  issue,
  goal,
  before,
}));

/** The goal of a row kind on a backend, if the issue sets one. */
export function goalFor(kind: GoalKind, backend: Backend): GoalRow | undefined {
  return GOALS.find((g) => g.kind === kind && g.backend === backend);
}

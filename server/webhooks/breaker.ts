/**
 * A circuit breaker per destination (the origin of a subscription's URL: scheme, host and port).
 * A destination whose attempts fail `failuresToOpen` times in a row (no HTTP answer at all, or a
 * 502/503/504) is opened: nothing is sent to it for a period (`openMs`, with +-20 % jitter), and
 * the deliveries that come due meanwhile are recorded as not sent and retried later, spread over
 * the next period (pipeline.ts). Then it is half-open: one delivery goes as a probe; an answer
 * closes it, a failure opens it again for twice as long (up to `maxOpenMs`).
 *
 * Any other answer (2xx, 4xx, 500, 429) shows the destination is up: that subscription's problem
 * is its own (its retries, Retry-After, 410), and must not stop deliveries of other subscriptions,
 * maybe other clinics', to the same host.
 *
 * Where the state lives: the counting and the decisions (open, probe, close) in this process's
 * memory, one breaker per delivering process; the pause itself also in the database, per
 * subscription (`webhooks.paused_until`, written once per opening by pipeline.ts), so that the
 * destination's new deliveries wait in the outbox as a whole (written due when the pause ends)
 * instead of each being claimed and put off on its own. Per-process breakers are safe with
 * several instances: a breaker only holds deliveries back (each stays a pending row, with its
 * retry in the database), so instances that disagree can neither lose nor double a delivery; at
 * worst a dead destination gets one probe per instance per period instead of one in all, or an
 * instance whose breaker is closed tries a paused destination's deliveries once the pause ends
 * and opens its own. Sharing the failure counts would cost a database write per failed attempt
 * for nothing the deliveries need. Only destinations with failures have an entry, and closed ones
 * are dropped first when there are more than `maxEntries`.
 */

export interface BreakerSettings {
  failuresToOpen: number;
  /** The first open period; each failed probe doubles it. */
  openMs: number;
  maxOpenMs: number;
  maxEntries?: number;
  now?: () => number;
  random?: () => number;
}

/** What an attempt says about its destination as a whole. */
export type Verdict = 'up' | 'down' | 'unknown';

export type CircuitState = 'closed' | 'open' | 'half-open';

interface Circuit {
  failures: number;
  /** How many times in a row it was opened (the next period doubles with each). */
  opens: number;
  /** While open, when a probe may go; 0 while closed. */
  until: number;
  /** The length of the current open period. */
  periodMs: number;
}

export interface Breaker {
  state(destination: string): CircuitState;
  /** How many attempts the destination may have in flight: `normal` closed, 1 half-open (the probe), 0 open. */
  allowance(destination: string, normal: number): number;
  /** Records what an attempt said; true when this opened the circuit. */
  record(destination: string, verdict: Verdict): boolean;
  /** While open: when a probe may go, and how long the current period is (to spread the retries over). */
  pause(destination: string): { until: number; periodMs: number } | undefined;
  /** Open circuits (for /metrics). */
  openCount(): number;
  entries(): number;
}

export function createBreaker(settings: BreakerSettings): Breaker {
  const { failuresToOpen, openMs, maxOpenMs, maxEntries = 10_000, now = Date.now, random = Math.random } = settings;
  const circuits = new Map<string, Circuit>();

  const stateOf = (c: Circuit | undefined): CircuitState => (!c || c.until === 0 ? 'closed' : now() < c.until ? 'open' : 'half-open');

  function open(c: Circuit): void {
    c.periodMs = Math.min(maxOpenMs, openMs * 2 ** c.opens) * (0.8 + 0.4 * random());
    c.until = now() + c.periodMs;
    c.opens++;
    c.failures = 0;
  }

  function entry(destination: string): Circuit {
    let c = circuits.get(destination);
    if (!c) {
      if (circuits.size >= maxEntries) dropClosed();
      c = { failures: 0, opens: 0, until: 0, periodMs: 0 };
      circuits.set(destination, c);
    }
    return c;
  }

  function dropClosed(): void {
    for (const [destination, c] of circuits) if (c.until === 0) circuits.delete(destination);
  }

  return {
    state: (destination) => stateOf(circuits.get(destination)),
    allowance(destination, normal) {
      const state = stateOf(circuits.get(destination));
      return state === 'closed' ? normal : state === 'half-open' ? 1 : 0;
    },
    record(destination, verdict) {
      if (verdict === 'unknown') return false;
      if (verdict === 'up') {
        circuits.delete(destination);
        return false;
      }
      const c = entry(destination);
      const state = stateOf(c);
      if (state === 'open') return false; // an attempt that started before it opened
      if (state === 'half-open' || ++c.failures >= failuresToOpen) {
        open(c);
        return true;
      }
      return false;
    },
    pause(destination) {
      const c = circuits.get(destination);
      return c && stateOf(c) === 'open' ? { until: c.until, periodMs: c.periodMs } : undefined;
    },
    openCount: () => [...circuits.values()].filter((c) => stateOf(c) === 'open').length,
    entries: () => circuits.size,
  };
}

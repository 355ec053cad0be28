/**
 * The pieces of fair, bounded delivery (issue 19): the circuit breaker per destination
 * (webhooks/breaker.ts) and the fair slots that share attempts between clinics and destinations
 * (webhooks/fair-slots.ts), driven by hand: a fake clock, and attempts that end when the test says.
 */
import { createBreaker, type Verdict } from '../webhooks/breaker';
import { createFairSlots, destinationOf, type FairSlotsSettings } from '../webhooks/fair-slots';

describe('circuit breaker per destination', () => {
  const setup = () => {
    let now = 1_000_000;
    const breaker = createBreaker({ failuresToOpen: 5, openMs: 30_000, maxOpenMs: 100_000, now: () => now, random: () => 0.5 });
    return { breaker, advance: (ms: number) => (now += ms), now: () => now };
  };

  it('opens after 5 failures in a row, and an answer in between starts the count again', () => {
    const { breaker } = setup();
    for (let i = 0; i < 4; i++) expect(breaker.record('https://a.test', 'down')).toBe(false);
    breaker.record('https://a.test', 'up');
    for (let i = 0; i < 4; i++) expect(breaker.record('https://a.test', 'down')).toBe(false);
    expect(breaker.state('https://a.test')).toBe('closed');
    expect(breaker.allowance('https://a.test', 64)).toBe(64);
    expect(breaker.record('https://a.test', 'down')).toBe(true);
    expect(breaker.state('https://a.test')).toBe('open');
    expect(breaker.allowance('https://a.test', 64)).toBe(0);
    expect(breaker.openCount()).toBe(1);
    // Other destinations are not affected; an attempt that ends while open changes nothing.
    expect(breaker.allowance('https://b.test', 64)).toBe(64);
    expect(breaker.record('https://a.test', 'down')).toBe(false);
  });

  it('lets one probe through after the open period; a failed probe opens it twice as long, an answer closes it', () => {
    const { breaker, advance, now } = setup();
    for (let i = 0; i < 5; i++) breaker.record('https://a.test', 'down');
    const first = breaker.pause('https://a.test')!;
    expect(first).toEqual({ until: now() + 30_000, periodMs: 30_000 }); // random 0.5: no jitter
    advance(30_000);
    expect(breaker.state('https://a.test')).toBe('half-open');
    expect(breaker.allowance('https://a.test', 64)).toBe(1);
    expect(breaker.pause('https://a.test')).toBeUndefined();
    expect(breaker.record('https://a.test', 'down')).toBe(true);
    expect(breaker.pause('https://a.test')).toEqual({ until: now() + 60_000, periodMs: 60_000 });
    advance(60_000);
    breaker.record('https://a.test', 'down');
    expect(breaker.pause('https://a.test')!.periodMs).toBe(100_000); // capped at maxOpenMs
    advance(100_000);
    breaker.record('https://a.test', 'up');
    expect(breaker.state('https://a.test')).toBe('closed');
    expect(breaker.entries()).toBe(0);
  });

  it('jitters the open period by at most 20 %', () => {
    for (const random of [0, 0.999]) {
      const breaker = createBreaker({ failuresToOpen: 1, openMs: 10_000, maxOpenMs: 10_000, now: () => 0, random: () => random });
      breaker.record('https://a.test', 'down');
      const { periodMs } = breaker.pause('https://a.test')!;
      expect(periodMs).toBeGreaterThanOrEqual(8_000);
      expect(periodMs).toBeLessThanOrEqual(12_000);
    }
  });

  it('keeps an entry only for failing destinations, and drops closed ones when there are too many', () => {
    const breaker = createBreaker({ failuresToOpen: 3, openMs: 1_000, maxOpenMs: 1_000, maxEntries: 10, now: () => 0 });
    for (let i = 0; i < 3; i++) breaker.record('https://open.test', 'down');
    for (let i = 0; i < 50; i++) breaker.record(`https://host${i}.test`, 'down');
    expect(breaker.entries()).toBeLessThanOrEqual(10);
    expect(breaker.state('https://open.test')).toBe('open');
  });
});

interface Item {
  id: string;
  clinic: string;
  destination: string;
}

/** Fair slots whose attempts end when the test calls finish(id, verdict). */
function harness(overrides: Partial<FairSlotsSettings<Item>> = {}) {
  const started: string[] = [];
  const finishers = new Map<string, (verdict: Verdict) => void>();
  const deferred: string[] = [];
  const parked: string[] = [];
  const opened: string[] = [];
  const breaker = createBreaker({ failuresToOpen: 2, openMs: 60_000, maxOpenMs: 60_000 });
  const slots = createFairSlots<Item>({
    slots: 4,
    perClinic: 3,
    perDestination: 2,
    clinicWaiting: 5,
    capacity: 100,
    breaker,
    run: (item) =>
      new Promise<Verdict>((resolve) => {
        started.push(item.id);
        finishers.set(item.id, resolve);
      }),
    defer: (items) => deferred.push(...items.map((i) => i.id)),
    opened: (destination, _pause, item) => opened.push(`${destination} after ${item.id}`),
    park: (items) => parked.push(...items.map((i) => i.id)),
    onError: (error) => {
      throw error;
    },
    ...overrides,
  });
  const items = (clinic: string, destination: string, n: number, from = 0): Item[] =>
    Array.from({ length: n }, (_, i) => ({ id: `${clinic}${from + i}`, clinic, destination }));
  return {
    slots,
    breaker,
    started,
    deferred,
    parked,
    opened,
    items,
    async finish(id: string, verdict: Verdict = 'up') {
      finishers.get(id)!(verdict);
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('fair slots', () => {
  it('keys a destination by origin', () => {
    expect(destinationOf('https://hooks.zapier.com/hooks/catch/1/abc/')).toBe('https://hooks.zapier.com');
    expect(destinationOf('https://hooks.zapier.com:443/x')).toBe('https://hooks.zapier.com');
    expect(destinationOf('http://127.0.0.1:8080/a')).toBe('http://127.0.0.1:8080');
  });

  it('holds a destination to its slots: a receiver that never answers blocks only its own deliveries', async () => {
    const h = harness();
    h.slots.admit([...h.items('a', 'https://dead.test', 6), ...h.items('a', 'https://fine.test', 2, 6)], 'queue');
    // Two to the dead destination (its limit), and the clinic's other destination takes its turn.
    expect(h.started.sort()).toEqual(['a0', 'a1', 'a6']);
    await h.finish('a6');
    expect(h.started).toContain('a7');
    expect(h.started.filter((id) => Number(id.slice(1)) < 6)).toHaveLength(2);
    expect(h.slots.stats()).toEqual({ waiting: 4, inFlight: 3 });
  });

  it('lets every clinic take turns, whoever was admitted first, within its own limit', async () => {
    const h = harness({ perDestination: 10 });
    h.slots.admit(h.items('a', 'https://a.test', 10), 'queue');
    h.slots.admit(h.items('b', 'https://b.test', 2), 'queue');
    // Clinic a may have 3 in flight, so b gets the fourth slot at once.
    expect(h.started).toEqual(['a0', 'a1', 'a2', 'b0']);
    // From then on, a free slot goes to whichever was served least recently.
    await h.finish('a0');
    expect(h.started[4]).toBe('a3');
    await h.finish('a1');
    expect(h.started[5]).toBe('b1');
  });

  it('shares one destination between clinics in turns', async () => {
    const h = harness({ slots: 10, perClinic: 10, perDestination: 2 });
    h.slots.admit(h.items('a', 'https://shared.test', 6), 'queue');
    h.slots.admit(h.items('b', 'https://shared.test', 3), 'queue');
    expect(h.started).toEqual(['a0', 'a1']);
    await h.finish('a0');
    await h.finish('a1');
    expect(h.started.slice(2)).toEqual(['b0', 'a2']);
    await h.finish('b0');
    expect(h.started[4]).toBe('b1');
  });

  it('defers what waits for a destination whose circuit opens, and everything for it until it half-opens', async () => {
    const h = harness();
    h.slots.admit([...h.items('a', 'https://down.test', 5), ...h.items('b', 'https://down.test', 2)], 'queue');
    expect(h.started).toEqual(['a0', 'b0']);
    await h.finish('a0', 'down');
    expect(h.started).toEqual(['a0', 'b0', 'a1']);
    await h.finish('b0', 'down'); // the second failure in a row opens it
    expect(h.opened).toEqual(['https://down.test after b0']);
    expect(h.deferred.sort()).toEqual(['a2', 'a3', 'a4', 'b1']);
    expect(h.slots.stats()).toEqual({ waiting: 0, inFlight: 1 });
    h.slots.admit(h.items('c', 'https://down.test', 1), 'park');
    expect(h.deferred).toContain('c0');
    expect(h.started).toHaveLength(3);
  });

  it('holds a clinic with its share waiting, and parks what the job queue brings it meanwhile', async () => {
    const h = harness({ perDestination: 1 });
    h.slots.admit(h.items('a', 'https://slow.test', 8), 'queue'); // a claim is taken whole
    expect(h.slots.heldClinics()).toEqual(['a']);
    h.slots.admit(h.items('a', 'https://slow.test', 2, 8), 'park');
    expect(h.parked).toEqual(['a8', 'a9']);
    h.slots.admit(h.items('b', 'https://other.test', 1), 'park');
    expect(h.started).toEqual(['a0', 'b0']);
    expect(h.slots.heldClinics()).toEqual(['a']);
  });

  it('gives back what waits when closed, takes nothing more, and drains what runs', async () => {
    const h = harness({ perDestination: 1 });
    h.slots.admit(h.items('a', 'https://x.test', 3), 'queue');
    expect(h.slots.close().map((i) => i.id)).toEqual(['a1', 'a2']);
    expect(h.slots.admit(h.items('b', 'https://y.test', 1), 'queue').map((i) => i.id)).toEqual(['b0']);
    let drained = false;
    const draining = h.slots.drained().then(() => {
      drained = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    await h.finish('a0');
    await draining;
    expect(h.started).toEqual(['a0']);
  });
});

/**
 * Fair delivery slots: how this process shares its attempts in flight between clinics and
 * destinations (a destination is the origin of a URL: scheme, host and port).
 *
 * Each delivery is attempted on its own, in a slot it holds from its POST until the answer (or
 * the timeout): a slow or dead receiver holds only the slots of its own attempts. At most `slots`
 * attempts are in flight, at most `perClinic` of one clinic and `perDestination` to one
 * destination (1 while its circuit is half-open, none while open: breaker.ts). Whenever a slot
 * frees, it goes to the clinic served least recently among those that can use it (a clinic new to
 * the queue first), and within a clinic to its destination served least recently; so a clinic
 * with many subscriptions, or one destination with a long backlog, gets its share and no more
 * while others wait.
 *
 * Waiting deliveries are bounded per clinic: past `clinicWaiting` (or its share of `capacity`
 * when many clinics wait) the clinic is *held*: the dispatcher leaves its deliveries in the
 * outbox, and those of its that the job queue brings are handed to `park` (back to the outbox).
 * Deliveries for a destination whose circuit is open are handed to `defer` at once, and those
 * waiting when it opens likewise (`opened` says when it does).
 */
import type { Breaker, Verdict } from './breaker';

export interface SlotItem {
  clinic: string;
  destination: string;
}

/** The destination of a URL: its origin, which its attempts share connections, slots and a circuit with. */
export function destinationOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export interface FairSlotsSettings<T extends SlotItem> {
  slots: number;
  perClinic: number;
  perDestination: number;
  /** Deliveries one clinic may have waiting before it is held. */
  clinicWaiting: number;
  /** Deliveries waiting in all: with many clinics waiting, each one's share shrinks to fit. */
  capacity: number;
  breaker: Breaker;
  /** Attempts one delivery; resolves with what the attempt says about its destination. */
  run(item: T): Promise<Verdict>;
  /** Deliveries not attempted because their destination's circuit is open until `until`. */
  defer(items: T[], pause: { until: number; periodMs: number }): void;
  /** The circuit of `destination` just opened, after `item`'s attempt failed. */
  opened(destination: string, pause: { until: number; periodMs: number }, item: T): void;
  /** Deliveries of a held clinic, to be queued again later. */
  park(items: T[]): void;
  onError(error: unknown, item: T): void;
}

export interface SlotStats {
  waiting: number;
  inFlight: number;
}

export interface FairSlots<T extends SlotItem> {
  /**
   * Takes deliveries to attempt. Over its clinic's share a delivery is parked, unless `overShare`
   * is 'queue' (the dispatcher's claims: a claim of a clinic not yet held is taken whole). Once
   * closed, nothing is taken: the deliveries are returned.
   */
  admit(items: T[], overShare: 'queue' | 'park'): T[];
  /** The clinics that have their share waiting. */
  heldClinics(): string[];
  /** Takes nothing more; returns the deliveries waiting (never started). */
  close(): T[];
  /** Resolves once no attempt is in flight. */
  drained(): Promise<void>;
  stats(): SlotStats;
}

/** A clinic's waiting deliveries, by destination, and the turn order of those destinations. */
interface ClinicQueues<T> {
  inFlight: number;
  waiting: number;
  /** When it last started a delivery (a counter; 0: never). */
  served: number;
  byDestination: Map<string, T[]>;
  /** Its destinations with waiting deliveries, least recently served first. */
  turns: string[];
}

type Pause = { until: number; periodMs: number };

/** Moves `id` to the back of a turn order: it was just served. */
function toBack(order: string[], id: string): void {
  const at = order.indexOf(id);
  if (at !== -1) order.push(...order.splice(at, 1));
}

class FairSlotQueue<T extends SlotItem> implements FairSlots<T> {
  private readonly clinics = new Map<string, ClinicQueues<T>>();
  /** Attempts in flight per destination, and which clinics have deliveries waiting for it. */
  private readonly destinations = new Map<string, { inFlight: number; waitingIn: Set<string> }>();
  /** The clinics with waiting deliveries, least recently served first. */
  private readonly turns: string[] = [];
  private readonly running = new Set<Promise<void>>();
  private waiting = 0;
  private inFlight = 0;
  private closed = false;
  private starts = 0;

  constructor(private readonly settings: FairSlotsSettings<T>) {}

  admit(items: T[], overShare: 'queue' | 'park'): T[] {
    if (this.closed) return items;
    const deferred = new Map<string, { items: T[]; pause: Pause }>();
    const parked: T[] = [];
    for (const item of items) {
      const pause = this.settings.breaker.pause(item.destination);
      if (pause) {
        const entry = deferred.get(item.destination) ?? { items: [], pause };
        entry.items.push(item);
        deferred.set(item.destination, entry);
      } else if (overShare === 'park' && (this.clinics.get(item.clinic)?.waiting ?? 0) >= this.share()) parked.push(item);
      else this.enqueue(item);
    }
    for (const entry of deferred.values()) this.settings.defer(entry.items, entry.pause);
    if (parked.length > 0) this.settings.park(parked);
    this.pump();
    return [];
  }

  heldClinics(): string[] {
    const limit = this.share();
    return [...this.clinics].filter(([, c]) => c.waiting >= limit).map(([id]) => id);
  }

  close(): T[] {
    this.closed = true;
    const left: T[] = [];
    for (const [id, c] of this.clinics) {
      for (const queue of c.byDestination.values()) left.push(...queue);
      c.waiting = 0;
      c.byDestination.clear();
      c.turns = [];
      if (c.inFlight === 0) this.clinics.delete(id);
    }
    for (const d of this.destinations.values()) d.waitingIn.clear();
    this.turns.length = 0;
    this.waiting = 0;
    return left;
  }

  async drained(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  stats(): SlotStats {
    return { waiting: this.waiting, inFlight: this.inFlight };
  }

  /** A clinic's share of the waiting room: less when many clinics wait. */
  private share(): number {
    const { clinicWaiting, capacity } = this.settings;
    return Math.min(clinicWaiting, Math.max(10, Math.floor(capacity / Math.max(1, this.turns.length))));
  }

  private clinicOf(id: string): ClinicQueues<T> {
    let c = this.clinics.get(id);
    if (!c) {
      c = { inFlight: 0, waiting: 0, served: 0, byDestination: new Map(), turns: [] };
      this.clinics.set(id, c);
    }
    return c;
  }

  private destinationOf(id: string) {
    let d = this.destinations.get(id);
    if (!d) {
      d = { inFlight: 0, waitingIn: new Set() };
      this.destinations.set(id, d);
    }
    return d;
  }

  private enqueue(item: T): void {
    const c = this.clinicOf(item.clinic);
    let queue = c.byDestination.get(item.destination);
    if (!queue) {
      queue = [];
      c.byDestination.set(item.destination, queue);
      c.turns.push(item.destination);
      this.destinationOf(item.destination).waitingIn.add(item.clinic);
    }
    if (c.waiting === 0) {
      // In turn order: after every clinic served as long ago or longer.
      const after = this.turns.findIndex((id) => (this.clinics.get(id)?.served ?? 0) > c.served);
      this.turns.splice(after === -1 ? this.turns.length : after, 0, item.clinic);
    }
    queue.push(item);
    c.waiting++;
    this.waiting++;
  }

  /** Removes a clinic's emptied queue for a destination, and whatever no longer has anything. */
  private dropQueue(clinicId: string, destination: string): void {
    const c = this.clinics.get(clinicId);
    if (!c) return;
    c.byDestination.delete(destination);
    c.turns.splice(c.turns.indexOf(destination), 1);
    this.destinations.get(destination)?.waitingIn.delete(clinicId);
    if (c.waiting === 0 && this.turns.includes(clinicId)) this.turns.splice(this.turns.indexOf(clinicId), 1);
    this.forgetIdle(clinicId, destination);
  }

  private forgetIdle(clinicId: string, destination: string): void {
    const c = this.clinics.get(clinicId);
    if (c && c.waiting === 0 && c.inFlight === 0) this.clinics.delete(clinicId);
    const d = this.destinations.get(destination);
    if (d && d.inFlight === 0 && d.waitingIn.size === 0) this.destinations.delete(destination);
  }

  /** The next delivery of a clinic, for the destination served least recently that has a free slot. */
  private takeFrom(clinicId: string, c: ClinicQueues<T>): T | undefined {
    const { breaker, perDestination } = this.settings;
    const destination = c.turns.find((id) => this.destinationOf(id).inFlight < breaker.allowance(id, perDestination));
    const queue = destination === undefined ? undefined : c.byDestination.get(destination);
    const item = queue?.shift();
    if (destination === undefined || !queue || !item) return undefined;
    c.waiting--;
    this.waiting--;
    toBack(c.turns, destination);
    if (queue.length === 0) this.dropQueue(clinicId, destination);
    return item;
  }

  /** The next delivery to start: from the clinic served least recently that is below its limit and can start one. */
  private next(): T | undefined {
    for (const clinicId of this.turns) {
      const c = this.clinics.get(clinicId);
      if (!c || c.inFlight >= this.settings.perClinic) continue;
      const item = this.takeFrom(clinicId, c);
      if (!item) continue;
      c.served = ++this.starts;
      toBack(this.turns, clinicId);
      return item;
    }
    return undefined;
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.settings.slots && this.waiting > 0) {
      const item = this.next();
      if (!item) break;
      this.start(item);
    }
  }

  private start(item: T): void {
    const c = this.clinicOf(item.clinic);
    const d = this.destinationOf(item.destination);
    this.inFlight++;
    c.inFlight++;
    d.inFlight++;
    const done: Promise<void> = this.settings
      .run(item)
      .then(
        (verdict) => {
          if (!this.settings.breaker.record(item.destination, verdict)) return;
          const pause = this.settings.breaker.pause(item.destination);
          if (pause) this.settings.opened(item.destination, pause, item);
          this.deferWaiting(item.destination);
        },
        (error: unknown) => this.settings.onError(error, item),
      )
      .finally(() => {
        this.inFlight--;
        c.inFlight--;
        d.inFlight--;
        this.running.delete(done);
        this.forgetIdle(item.clinic, item.destination);
        this.pump();
      });
    this.running.add(done);
  }

  /** The circuit of `destination` opened: everything waiting for it is deferred. */
  private deferWaiting(destination: string): void {
    const pause = this.settings.breaker.pause(destination);
    const d = this.destinations.get(destination);
    if (!pause || !d) return;
    const items: T[] = [];
    for (const clinicId of [...d.waitingIn]) {
      const c = this.clinics.get(clinicId);
      const queue = c?.byDestination.get(destination);
      if (!c || !queue) continue;
      items.push(...queue);
      c.waiting -= queue.length;
      this.waiting -= queue.length;
      this.dropQueue(clinicId, destination);
    }
    if (items.length > 0) this.settings.defer(items, pause);
  }
}

export function createFairSlots<T extends SlotItem>(settings: FairSlotsSettings<T>): FairSlots<T> {
  return new FairSlotQueue(settings);
}

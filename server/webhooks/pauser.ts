/**
 * Writes the pauses of subscriptions whose destination's circuit opened (claims.ts): it remembers,
 * per failing destination, the subscriptions whose deliveries failed or were held back there,
 * and what it wrote for each, so that each subscription is paused once per open period.
 *
 * While a pause moves a clinic's waiting backlog (its outbox rows, due now, into the pause), the
 * clinic is `moving`: the dispatcher leaves it alone meanwhile (pipeline.ts holds it), so that its
 * claims neither take those rows nor move them a second time in statements of their own.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { pauseSubscriptions } from './claims';

/** What the pauser needs of a delivery: its subscription, its clinic, and its destination. */
export interface PausedItem {
  clinic: string;
  destination: string;
  target: { webhookId: string };
}

export interface Pauser {
  /** A delivery to this subscription failed in a way that counts against its destination. */
  failed(item: PausedItem): void;
  /** The destination answered: its subscriptions are paused again only after new failures. */
  recovered(destination: string): void;
  /** The destination's circuit is open until `until`: pauses its subscriptions not yet paused that long. */
  pause(destination: string, until: number, items: PausedItem[]): void;
  /** Clinics whose waiting backlog a pause is moving now. */
  moving(): string[];
}

export function createPauser(db: Kysely<Database>, track: (work: Promise<void>) => void): Pauser {
  const failing = new Map<string, Map<string, string>>(); // destination -> subscription -> clinic
  const written = new Map<string, number>(); // subscription -> paused until
  const moving = new Map<string, number>(); // clinic -> pauses moving its backlog now
  const count = (clinicIds: string[], by: 1 | -1) => {
    for (const id of clinicIds) {
      const n = (moving.get(id) ?? 0) + by;
      if (n > 0) moving.set(id, n);
      else moving.delete(id);
    }
  };
  const note = (item: PausedItem) => {
    const subscriptions = failing.get(item.destination) ?? new Map<string, string>();
    failing.set(item.destination, subscriptions);
    subscriptions.set(item.target.webhookId, item.clinic);
  };
  return {
    failed: note,
    recovered(destination) {
      for (const id of failing.get(destination)?.keys() ?? []) written.delete(id);
      failing.delete(destination);
    },
    pause(destination, until, items) {
      for (const item of items) note(item);
      const due = [...(failing.get(destination) ?? [])].filter(([id]) => (written.get(id) ?? 0) < until);
      if (due.length === 0) return;
      for (const [id] of due) written.set(id, until);
      const subscriptions = { webhookIds: due.map(([id]) => id), clinicIds: [...new Set(due.map(([, clinic]) => clinic))] };
      count(subscriptions.clinicIds, 1);
      track(pauseSubscriptions(db, subscriptions, new Date(until)).finally(() => count(subscriptions.clinicIds, -1)));
    },
    moving: () => [...moving.keys()],
  };
}

/**
 * Writes what came of attempts in batches: attempts run
 * on their own, in their slots (fair-slots.ts), and hand their outcome here; one transaction
 * records whatever has come in, up to `batchSize`, and the next one starts when it ends (group
 * commit). A lone outcome waits at most `lingerMs` for others, so a fan-out's hundreds of
 * outcomes are a few transactions, not hundreds. Only one transaction runs at a time.
 *
 * A write that fails is logged and its deliveries left pending: the dispatcher's sweep claims
 * them again once they are overdue (delivery.ts), so nothing is lost.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema';

export interface OutcomeWriterSettings<O> {
  db: Kysely<Database>;
  batchSize: number;
  lingerMs: number;
  write(trx: Transaction<Database>, outcomes: O[]): Promise<void>;
  onError(error: unknown, outcomes: O[]): void;
}

export interface OutcomeWriter<O> {
  record(outcome: O): void;
  /** Resolves once everything handed over so far has been written (or its write failed). */
  flushed(): Promise<void>;
}

export function createOutcomeWriter<O>(settings: OutcomeWriterSettings<O>): OutcomeWriter<O> {
  const outcomes: O[] = [];
  let writing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const pending = () => outcomes.length;

  function writeNow(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (writing || pending() === 0) return;
    const batch = outcomes.splice(0, settings.batchSize);
    writing = settings.db
      .transaction()
      .execute((trx) => settings.write(trx, batch))
      .catch((error: unknown) => settings.onError(error, batch))
      // The next write after I/O had its turn (on PGlite, statements run on this thread).
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .finally(() => {
        writing = undefined;
        schedule();
      });
  }

  function schedule(): void {
    if (writing || pending() === 0) return;
    if (pending() >= settings.batchSize) writeNow();
    else timer ??= setTimeout(writeNow, settings.lingerMs);
  }

  return {
    record(outcome) {
      outcomes.push(outcome);
      schedule();
    },
    async flushed() {
      while (writing || pending() > 0) {
        writeNow();
        await writing;
      }
    },
  };
}

/**
 * A lane of work items run in batches, a fixed number of batches at a time, in this process: how
 * the deliveries the dispatcher claims are attempted at once, without a round through the job
 * queue (delivery.ts). It holds at most `capacity` items that have not started; the caller sends
 * whatever does not fit elsewhere (`room()`).
 */
export interface BatchLane<T> {
  /** How many more items it takes now. */
  room(): number;
  /** Adds items (at most `room()` of them) and starts batches while fewer than `inFlight` run. */
  take(items: T[]): void;
  /** Takes and starts nothing more; returns the items never started. */
  close(): T[];
  /** Resolves once no batch is under way (after close(): once the last one has finished). */
  drained(): Promise<void>;
}

export interface BatchLaneOptions<T> {
  batchSize: number;
  inFlight: number;
  /** Items waiting to start, at most. */
  capacity: number;
  /** Runs one batch; a rejection is the caller's to report (`onError`), and the lane goes on. */
  run(batch: T[]): Promise<void>;
  onError(error: unknown, batch: T[]): void;
}

export function createBatchLane<T>({ batchSize, inFlight, capacity, run, onError }: BatchLaneOptions<T>): BatchLane<T> {
  const waiting: T[] = [];
  const running = new Set<Promise<void>>();
  let stopped = false;

  const start = (): void => {
    while (!stopped && running.size < inFlight && waiting.length > 0) {
      const batch = waiting.splice(0, batchSize);
      const done: Promise<void> = run(batch)
        .catch((error: unknown) => onError(error, batch))
        .finally(() => {
          running.delete(done);
          start();
        });
      running.add(done);
    }
  };

  return {
    room: () => (stopped ? 0 : Math.max(0, capacity - waiting.length)),
    take(items) {
      if (stopped) throw new Error('the lane is closed');
      if (items.length > capacity - waiting.length)
        throw new Error(`the lane has room for ${capacity - waiting.length} items, not ${items.length}`);
      waiting.push(...items);
      start();
    },
    close() {
      stopped = true;
      return waiting.splice(0);
    },
    async drained() {
      while (running.size > 0) await Promise.all(running);
    },
  };
}

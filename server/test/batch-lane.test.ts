/** The batch lane that runs a process's claimed deliveries (webhooks/batch-lane.ts). */
import { createBatchLane } from '../webhooks/batch-lane';

/** A run() whose batches finish only when the test says so. */
function heldRuns() {
  const started: number[][] = [];
  const finishers: Array<(error?: Error) => void> = [];
  return {
    started,
    run: (batch: number[]) =>
      new Promise<void>((resolve, reject) => {
        started.push(batch);
        finishers.push((error) => (error ? reject(error) : resolve()));
      }),
    finish: async (i: number, error?: Error) => {
      finishers[i]!(error);
      await new Promise((r) => setImmediate(r));
    },
  };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('batch lane', () => {
  test('runs items in batches, never more than inFlight at once, and takes at most its capacity waiting', async () => {
    const runs = heldRuns();
    const lane = createBatchLane<number>({ batchSize: 3, inFlight: 2, capacity: 4, run: runs.run, onError: () => undefined });
    expect(lane.room()).toBe(4);
    lane.take(range(0, 4));
    // Two batches started at once (3 + 1): nothing waits, so the room is whole again.
    expect(runs.started).toEqual([[0, 1, 2], [3]]);
    expect(lane.room()).toBe(4);
    lane.take(range(4, 4));
    expect(runs.started).toHaveLength(2);
    expect(lane.room()).toBe(0);
    expect(() => lane.take([99])).toThrow('room for 0 items');

    await runs.finish(0);
    expect(runs.started[2]).toEqual([4, 5, 6]);
    expect(lane.room()).toBe(3);
    await runs.finish(1);
    await runs.finish(2);
    expect(runs.started[3]).toEqual([7]);
    await runs.finish(3);
    expect(runs.started.flat()).toEqual(range(0, 8));
  });

  test('a failed batch is reported with its items, and the lane goes on', async () => {
    const runs = heldRuns();
    const failures: Array<[string, number[]]> = [];
    const lane = createBatchLane<number>({
      batchSize: 2,
      inFlight: 1,
      capacity: 10,
      run: runs.run,
      onError: (error, batch) => failures.push([(error as Error).message, batch]),
    });
    lane.take(range(0, 4));
    await runs.finish(0, new Error('database gone'));
    expect(failures).toEqual([['database gone', [0, 1]]]);
    expect(runs.started[1]).toEqual([2, 3]);
    await runs.finish(1);
    expect(failures).toHaveLength(1);
  });

  test('close hands back the items never started at once; drained waits for the batches under way', async () => {
    const runs = heldRuns();
    const lane = createBatchLane<number>({ batchSize: 2, inFlight: 1, capacity: 10, run: runs.run, onError: () => undefined });
    lane.take(range(0, 5));
    expect(lane.close()).toEqual([2, 3, 4]);
    expect(lane.room()).toBe(0);
    expect(() => lane.take([9])).toThrow('closed');
    let drained = false;
    const draining = lane.drained().then(() => {
      drained = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false); // the first batch is still under way
    await runs.finish(0);
    await draining;
    expect(drained).toBe(true);
    expect(runs.started).toEqual([[0, 1]]); // nothing new started after close
  });
});

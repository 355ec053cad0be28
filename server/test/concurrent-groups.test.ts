/**
 * The grouping of concurrent reads (services/concurrent-groups.ts): a call alone goes at once with
 * its own statement, calls of one shape that arrive together share one, at most `maxInFlight`
 * statements of at most `maxGroup` calls are under way, and a failed group's calls are each sent
 * again alone, so an error is only its own call's (all at once, or one after another in the group's
 * send order).
 */
import { type ConcurrentGroups, groupConcurrent } from '../services/concurrent-groups';

interface Call {
  shape: string;
  value: number;
}

/** A grouping whose statements are recorded and finish when the test lets them. */
function recorded(
  options: Pick<ConcurrentGroups<Call, string>, 'maxInFlight' | 'maxGroup' | 'sendOrder' | 'retryAlone'> & {
    failTogether?: (calls: Call[]) => boolean;
  } = {},
) {
  const statements: { kind: 'alone' | 'together'; values: number[]; finish: () => void }[] = [];
  const started = (kind: 'alone' | 'together', calls: Call[]) =>
    new Promise<void>((finish) => statements.push({ kind, values: calls.map((c) => c.value), finish }));
  const call = groupConcurrent<Call, string>({
    maxInFlight: options.maxInFlight,
    maxGroup: options.maxGroup,
    sendOrder: options.sendOrder,
    retryAlone: options.retryAlone,
    shapeOf: (c) => c.shape,
    alone: async (c) => {
      await started('alone', [c]);
      if (c.value < 0) throw new Error(`refused ${c.value}`);
      return `alone ${c.value}`;
    },
    together: async (calls) => {
      await started('together', calls);
      if (options.failTogether?.(calls)) throw new Error('the group failed');
      return calls.map((c) => (c.value === 0 ? Promise.resolve('answered some other way') : `together ${c.value}`));
    },
  });
  /** Lets every statement started so far finish, and waits for what follows. */
  const finishAll = async () => {
    for (const s of statements) s.finish();
    await new Promise((r) => setImmediate(r));
  };
  return { call, statements, finishAll };
}

const settle = (p: Promise<string>) => p.then(String, (e: Error) => `error: ${e.message}`);
const turn = () => new Promise((r) => setImmediate(r));

test('a call alone is sent at once with its own statement', async () => {
  const { call, statements, finishAll } = recorded();
  const answer = call({ shape: 'a', value: 1 });
  await turn();
  expect(statements.map((s) => [s.kind, s.values])).toEqual([['alone', [1]]]);
  await finishAll();
  await expect(answer).resolves.toBe('alone 1');
});

test('calls of one shape that arrive together share one statement, in their order', async () => {
  const { call, statements, finishAll } = recorded();
  const answers = [
    call({ shape: 'a', value: 1 }),
    call({ shape: 'b', value: 2 }),
    call({ shape: 'a', value: 3 }),
    call({ shape: 'a', value: 0 }),
  ];
  await turn();
  expect(statements.map((s) => [s.kind, s.values])).toEqual([
    ['together', [1, 3, 0]],
    ['alone', [2]],
  ]);
  await finishAll();
  expect(await Promise.all(answers.map(settle))).toEqual(['together 1', 'alone 2', 'together 3', 'answered some other way']);
});

test("a failed group's calls are sent again alone, each with its own error", async () => {
  const { call, statements, finishAll } = recorded({ failTogether: (calls) => calls.some((c) => c.value < 0) });
  const answers = [call({ shape: 'a', value: 1 }), call({ shape: 'a', value: -2 }), call({ shape: 'a', value: 3 })].map(settle);
  await turn();
  await finishAll();
  await finishAll();
  expect(statements.map((s) => [s.kind, s.values])).toEqual([
    ['together', [1, -2, 3]],
    ['alone', [1]],
    ['alone', [-2]],
    ['alone', [3]],
  ]);
  expect(await Promise.all(answers)).toEqual(['alone 1', 'error: refused -2', 'alone 3']);
});

test('at most maxInFlight statements of at most maxGroup calls; calls that find them under way wait and go together', async () => {
  const { call, statements, finishAll } = recorded({ maxInFlight: 2, maxGroup: 2 });
  const values = (from = 0) => statements.slice(from).map((s) => s.values);
  const first = [1, 2, 3, 4, 5].map((value) => call({ shape: 'a', value }));
  await turn();
  expect(values()).toEqual([[1, 2]]);
  // A call that comes while one statement is under way sends the next group: two under way.
  const later = [6, 7].map((value) => call({ shape: 'a', value }));
  await turn();
  expect(values()).toEqual([
    [1, 2],
    [3, 4],
  ]);
  // Nothing more until one finishes.
  const last = call({ shape: 'a', value: 8 });
  await turn();
  expect(statements).toHaveLength(2);
  await finishAll();
  expect(values(2)).toEqual([
    [5, 6],
    [7, 8],
  ]);
  await finishAll();
  expect(await Promise.all([...first, ...later, last].map(settle))).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((v) => `together ${v}`));
});

test("a group is sent in its send order, and a failed group's calls again one after another in that order", async () => {
  const { call, statements, finishAll } = recorded({
    sendOrder: (a, b) => Math.abs(a.value) - Math.abs(b.value),
    retryAlone: 'in order',
    failTogether: (calls) => calls.some((c) => c.value < 0),
  });
  const answers = [call({ shape: 'a', value: 3 }), call({ shape: 'a', value: -2 }), call({ shape: 'a', value: 1 })].map(settle);
  await turn();
  expect(statements.map((s) => [s.kind, s.values])).toEqual([['together', [1, -2, 3]]]);
  await finishAll();
  // One alone at a time: the next starts only once the one before has finished.
  for (const expected of [[1], [-2], [3]]) {
    expect(statements.at(-1)?.values).toEqual(expected);
    const started = statements.length;
    await finishAll();
    if (expected[0] !== 3) expect(statements).toHaveLength(started + 1);
  }
  expect(statements).toHaveLength(4);
  expect(await Promise.all(answers)).toEqual(['alone 3', 'error: refused -2', 'alone 1']);
});

test("with retryAlone 'never', a failed group's calls all fail with its error and nothing is sent again", async () => {
  const { call, statements, finishAll } = recorded({ retryAlone: 'never', failTogether: () => true });
  const answers = [call({ shape: 'a', value: 1 }), call({ shape: 'a', value: 2 })].map(settle);
  await turn();
  await finishAll();
  await finishAll();
  expect(statements.map((s) => [s.kind, s.values])).toEqual([['together', [1, 2]]]);
  expect(await Promise.all(answers)).toEqual(['error: the group failed', 'error: the group failed']);
});

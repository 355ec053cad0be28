/**
 * Group commit for reads: the calls that arrive together are answered by one statement per group
 * instead of one each (one round trip, one pool checkout, one executor start for N), on both
 * backends. The rules, shared by the grouped reads (services/busy-reads.ts; the list's pages in
 * services/appointment-pages.ts follow the same ones):
 * - no timer: a call waits at most for the statements already in flight; alone, it is sent at
 *   once with the statement it has always had (`alone`);
 * - calls group only with calls of the same shape (the same statement text, other values);
 * - at most `maxInFlight` grouped statements under way at once, `maxGroup` calls each: a call that
 *   finds them all under way waits for the first to finish, then goes with every call that came
 *   meanwhile;
 * - a group whose statement fails is sent again one call at a time, so an error is only its own
 *   call's (unless `retryAlone` is 'never').
 * Nothing is kept: every call's answer is read from the database by its own group's statement.
 */

export interface ConcurrentGroupsOptions {
  /** Grouped statements under way at once (default 2). */
  maxInFlight?: number;
  /** Most calls one statement answers (default 64); more wait for the next. */
  maxGroup?: number;
  /** Told the number of calls each statement answered (1: a call alone), and their shape. */
  onStatement?: (calls: number, shape: string) => void;
  /**
   * How a failed group's calls are sent again alone: all at once (default), or one after another
   * in their order of arrival (writes that must not race each other for the same rows); or not at
   * all ('never': every call of the group fails with the statement's error, for a statement no
   * call's own values can fail, where sending each again would only repeat the failure).
   */
  retryAlone?: 'concurrently' | 'in order' | 'never';
}

export interface ConcurrentGroupsOrder<I> {
  /**
   * The order a group's calls are sent in, by its statement or, failed, one after another (a
   * comparator for a stable sort; lock order for writes); by default their order of arrival.
   */
  sendOrder?: (a: I, b: I) => number;
}

export interface ConcurrentGroups<I, O> extends ConcurrentGroupsOptions, ConcurrentGroupsOrder<I> {
  /** Calls with the same shape have the same grouped statement text. */
  shapeOf: (input: I) => string;
  /** A call's own statement: for a call alone, and for each call of a group that failed. */
  alone: (input: I) => Promise<O>;
  /**
   * One statement for the calls of one shape (two or more, in their order of arrival): each call's
   * answer, in the same order (a promise for a call that must be answered some other way).
   */
  together: (inputs: I[]) => Promise<ReadonlyArray<O | PromiseLike<O>>>;
}

interface Waiting<I, O> {
  input: I;
  resolve: (answer: O | PromiseLike<O>) => void;
  reject: (error: unknown) => void;
}

/** A function answering each call as `alone` would, grouping the calls that arrive together. */
export function groupConcurrent<I, O>({
  shapeOf,
  alone,
  together,
  maxInFlight = 2,
  maxGroup = 64,
  onStatement,
  retryAlone = 'concurrently',
  sendOrder,
}: ConcurrentGroups<I, O>): (input: I) => Promise<O> {
  const waiting = new Map<string, Waiting<I, O>[]>();
  let inFlight = 0;
  let scheduled = false;

  const answerAlone = (w: Waiting<I, O>) => {
    onStatement?.(1, shapeOf(w.input));
    return alone(w.input).then(w.resolve, w.reject);
  };
  const send = async (group: Waiting<I, O>[]) => {
    if (group.length === 1) return answerAlone(group[0] as Waiting<I, O>);
    if (sendOrder) group.sort((a, b) => sendOrder(a.input, b.input));
    let answers: ReadonlyArray<O | PromiseLike<O>>;
    try {
      answers = await together(group.map((w) => w.input));
      onStatement?.(group.length, shapeOf((group[0] as Waiting<I, O>).input));
    } catch (error) {
      if (retryAlone === 'never') {
        for (const w of group) w.reject(error);
        return;
      }
      // Which call failed the statement is not known: each is sent again alone.
      if (retryAlone === 'concurrently') await Promise.all(group.map(answerAlone));
      else for (const w of group) await answerAlone(w);
      return;
    }
    for (const [i, w] of group.entries()) w.resolve(answers[i] as O | PromiseLike<O>);
  };

  const flush = () => {
    scheduled = false;
    for (const [shape, queue] of waiting) {
      if (inFlight >= maxInFlight) return;
      const group = queue.splice(0, maxGroup);
      if (queue.length === 0) waiting.delete(shape);
      inFlight++;
      void send(group).finally(() => {
        inFlight--;
        if (waiting.size > 0) flush();
      });
    }
  };

  return (input) =>
    new Promise<O>((resolve, reject) => {
      const shape = shapeOf(input);
      const w = { input, resolve, reject };
      const queue = waiting.get(shape);
      if (queue) queue.push(w);
      else waiting.set(shape, [w]);
      // Calls that arrive in the same turn of the event loop go out together.
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

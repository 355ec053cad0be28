/** Shared setup for the app's nock tests (test/app/*.test.ts). */
import nock from 'nock';
import { createAppTester } from 'zapier-platform-core';

import App = require('../../index');

export { App };
/**
 * The app as Zapier runs it, with one documented flag for tests: `skipHttpPatch`. Without it,
 * zapier-platform-core's Lambda handler patches `http.request`/`https.request` of the whole
 * process once, for good, with a wrapper that takes `(options, callback)` only. A later nock
 * (@mswjs/interceptors) proxy calls that wrapper as `(url, options, callback)`, so its mock agent
 * is dropped and nock stops intercepting: an e2e file followed by an app test file in one jest
 * worker would send the app tests' requests to the real network. Every request of the app goes
 * through z.request, which logs on its own, so the patch has nothing to add here.
 */
export const appTester = createAppTester({ ...App, flags: { ...App.flags, skipHttpPatch: true } } as typeof App);

/** The app definition with operations loosely typed, for reaching into them in tests. */
export const app = App as unknown as {
  authentication: Required<Pick<NonNullable<typeof App.authentication>, 'type' | 'fields' | 'test' | 'connectionLabel'>>;
  triggers: Record<string, any>;
  creates: Record<string, any>;
  searches?: Record<string, any>;
};

/** The default API origin (QB_HOST unset). */
export const API = 'https://www.qualifybase.com';
export const API_KEY = 'qbk_live_unit_test_key_0123456789';
export const authData = { api_key: API_KEY };

/** Every app test: no real network, no QB_HOST, no leftover interceptors. */
export function useNock(): void {
  let savedHost: string | undefined;
  // Jest gives each test file its own copy of nock, but they share one process and http module:
  // activate this file's copy and restore http afterwards, so the next file's copy is the one
  // intercepting.
  beforeAll(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
  });
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });
  beforeEach(() => {
    savedHost = process.env.QB_HOST;
    delete process.env.QB_HOST;
  });
  afterEach(() => {
    if (savedHost === undefined) delete process.env.QB_HOST;
    else process.env.QB_HOST = savedHost;
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
}

/** A scope on the API that requires the Bearer header (and refuses `badheaders`, if given). */
export function api(badheaders: string[] = []): nock.Scope {
  return nock(API, { reqheaders: { authorization: `Bearer ${API_KEY}` }, badheaders });
}

/** The `{message, code, status}` a z.errors.Error carries as JSON in its message. */
export function appErrorOf(error: unknown): { message: string; code: string; status: number } {
  expect(error).toBeInstanceOf(Error);
  const err = error as Error;
  expect(err.name).toBe('AppError');
  return JSON.parse(err.message);
}

export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/** The message and delay a ThrottledError carries as JSON in its message. */
export function throttleOf(error: unknown): { message: string; delay: number } {
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).name).toBe('ThrottledError');
  return JSON.parse((error as Error).message);
}

/** The jittered delay for a base delay: base + 0..max(5, base/2) seconds (lib/retry.ts). */
export function expectJittered(delay: number, base: number): void {
  expect(delay).toBeGreaterThanOrEqual(base);
  expect(delay).toBeLessThanOrEqual(base + Math.max(5, Math.ceil(base / 2)));
}

export interface ErrorMappingOptions {
  /**
   * Whether the operation's request is safe to repeat (GET, PATCH, DELETE, an upsert, or a write
   * with an Idempotency-Key): its temporary failures become ThrottledError, else a plain error.
   */
  repeatable: boolean;
}

/** 502/503/504 and a request that gets no answer: retried by Zapier only when safe to repeat. */
function itMapsTemporaryFailures(intercept: () => nock.Interceptor, run: () => Promise<unknown>, { repeatable }: ErrorMappingOptions) {
  const expectTemporary = (error: Error, what: RegExp, base: number) => {
    if (repeatable) {
      const { message, delay } = throttleOf(error);
      expectJittered(delay, base);
      expect(message).toMatch(what);
      expect(message).toContain(`Zapier will retry this step automatically in about ${delay} seconds`);
    } else {
      const { message, code } = appErrorOf(error);
      expect(code).toBe('temporarily_unavailable');
      expect(message).toMatch(what);
      expect(message).toMatch(/not retried automatically: repeating it could do it twice/);
    }
  };

  it(`maps 503 with Retry-After to ${repeatable ? 'ThrottledError after that delay, with jitter' : 'a plain error (not safe to repeat)'}`, async () => {
    intercept().reply(503, { error: 'The service is temporarily unavailable.', code: 'service_unavailable' }, { 'Retry-After': '7' });
    expectTemporary(await rejection(run()), /^QualifyBase is temporarily unavailable \(HTTP 503\)/, 7);
  });

  it.each([502, 504])('maps %i without Retry-After the same way (30 s by default)', async (status) => {
    intercept().reply(status, '<html>Bad gateway</html>');
    expectTemporary(await rejection(run()), new RegExp(`^QualifyBase is temporarily unavailable \\(HTTP ${status}\\)`), 30);
  });

  it('maps a request that gets no answer (connection reset) the same way', async () => {
    // An Error object (nock 14 mishandles a plain object here), as node's socket raises it.
    intercept().replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expectTemporary(await rejection(run()), /^QualifyBase could not be reached \(ECONNRESET\)/, 30);
  });

  it('keeps 500 a plain error: a bug, not an outage', async () => {
    intercept().reply(500, { error: 'Internal error.', code: 'internal_error' });
    expect(appErrorOf(await rejection(run()))).toMatchObject({ status: 500, code: 'internal_error' });
  });
}

/**
 * The API's error responses, each mapped to the Zapier error that tells the user what to do.
 * `intercept` returns the operation's request interceptor (before `.reply`), `run` runs the
 * operation once.
 */
export function itMapsApiErrors(intercept: () => nock.Interceptor, run: () => Promise<unknown>, options: ErrorMappingOptions): void {
  it('maps 401 to ExpiredAuthError telling the user to reconnect', async () => {
    intercept().reply(401, { error: 'Invalid or revoked API key.', code: 'unauthorized' });
    const error = await rejection(run());
    expect(error.name).toBe('ExpiredAuthError');
    expect(error.message).toMatch(/API key is invalid or has been revoked/);
    expect(error.message).toMatch(/reconnect/i);
    expect(error.message).toContain('https://www.qualifybase.com/dashboard/setup/api-keys');
  });

  it("maps 400 invalid_input to the API's message plus each field's problem", async () => {
    intercept().reply(400, {
      error: 'The request is invalid',
      code: 'invalid_input',
      details: [
        { path: 'phone', message: 'must be an E.164 phone number such as +14155551212' },
        { path: 'name', message: 'Required' },
      ],
    });
    const error = appErrorOf(await rejection(run()));
    expect(error).toEqual({
      message: 'The request is invalid. phone: must be an E.164 phone number such as +14155551212; name: Required.',
      code: 'invalid_input',
      status: 400,
    });
  });

  it('maps 403 insufficient_scope to a message about the missing scope', async () => {
    intercept().reply(403, { error: 'This API key lacks the campaigns:write scope.', code: 'insufficient_scope' });
    const error = appErrorOf(await rejection(run()));
    expect(error.code).toBe('insufficient_scope');
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/^This API key lacks the campaigns:write scope\. .*scope/);
  });

  it('maps 404 to a not-found message', async () => {
    intercept().reply(404, { error: 'Campaign not found.', code: 'not_found' });
    const error = appErrorOf(await rejection(run()));
    expect(error).toMatchObject({ code: 'not_found', status: 404 });
    expect(error.message).toMatch(/^Campaign not found\. Check that the record exists/);
  });

  it('maps 409 slot_unavailable to a message asking for another slot', async () => {
    intercept().reply(409, { error: 'That slot is already taken.', code: 'slot_unavailable' });
    const error = appErrorOf(await rejection(run()));
    expect(error).toMatchObject({ code: 'slot_unavailable', status: 409 });
    expect(error.message).toBe(
      'That slot is already taken. Pick another time slot and try again; the Find Available Slot search finds an open one.',
    );
  });

  it.each([
    ['the API key', 'Rate limit of 120 requests per minute exceeded for this API key; retry in 17 s'],
    [
      "the clinic's budget",
      "Rate limit of 600 requests per minute exceeded for this clinic (all its API keys together); retry in 17 s. Spread the clinic's work over time or across fewer integrations.",
    ],
  ])("maps 429 (%s) to ThrottledError with the server's message, after its Retry-After seconds with jitter", async (_which, error) => {
    intercept().reply(429, { error, code: 'rate_limited' }, { 'Retry-After': '17' });
    const { message, delay } = throttleOf(await rejection(run()));
    expectJittered(delay, 17);
    expect(message).toBe(
      `QualifyBase's rate limit was reached: ${error.endsWith('.') ? error : `${error}.`} Zapier will retry this step automatically in about ${delay} seconds.`,
    );
  });

  it("maps 429 without Retry-After or a message to a minute (the limit's window), with jitter", async () => {
    intercept().reply(429, '');
    const { message, delay } = throttleOf(await rejection(run()));
    expectJittered(delay, 60);
    expect(message).toBe(`QualifyBase's rate limit was reached. Zapier will retry this step automatically in about ${delay} seconds.`);
  });

  itMapsTemporaryFailures(intercept, run, options);
}

export interface IdempotentWrite {
  /** The write's method and path under the API base. */
  method: 'post' | 'patch';
  path: string;
  /** Runs the operation with this input. */
  run: (inputData: Record<string, unknown>) => Promise<unknown>;
  inputData: Record<string, unknown>;
  /** The same step with one field changed. */
  otherInputData: Record<string, unknown>;
  /** A 2xx status and body the API answers with. */
  reply: [number, object];
  /** Where the record of `reply` is read again after a replayed answer, and what it is by then. */
  reread: { path: string; now: object };
}

/**
 * A write that carries an Idempotency-Key derived from the step (lib/idempotency.ts): the same
 * input sends the same key (so Zapier's retry of the step is answered with the first response),
 * other input another key; a replayed answer is read again, so the step returns the record as it
 * is now (lib/keyed-write.ts); the API's idempotency answers are mapped.
 */
export function itSendsStepIdempotencyKeys(w: IdempotentWrite): void {
  const keysSent = async (inputs: Array<Record<string, unknown>>) => {
    const keys: Array<string | undefined> = [];
    api()
      [w.method](w.path)
      .times(inputs.length)
      .reply(function reply() {
        keys.push(this.req.headers['idempotency-key'] as string | undefined);
        return w.reply;
      });
    for (const input of inputs) await w.run(input);
    return keys;
  };

  it('sends an Idempotency-Key (a quoted structured-field string) derived from the step: the same input, the same key', async () => {
    const [first, again, other] = await keysSent([w.inputData, w.inputData, w.otherInputData]);
    expect(first).toMatch(/^"zap-[A-Za-z0-9_-]{43}"$/);
    expect(again).toBe(first);
    expect(other).toMatch(/^"zap-[A-Za-z0-9_-]{43}"$/);
    expect(other).not.toBe(first);
  });

  it("reads a replayed answer's record again (Idempotent-Replayed: true) and returns it as it is now, writing nothing more", async () => {
    api()[w.method](w.path).reply(w.reply[0], w.reply[1], { 'Idempotent-Replayed': 'true' });
    api().get(w.reread.path).reply(200, w.reread.now);
    await expect(w.run(w.inputData)).resolves.toEqual(w.reread.now);
  });

  it('returns a fresh (not replayed) answer as it is, with no second request', async () => {
    api()
      [w.method](w.path)
      .reply(...w.reply);
    await expect(w.run(w.inputData)).resolves.toEqual(w.reply[1]);
  });

  it('maps 409 idempotency_key_in_use (the first attempt still running) to ThrottledError after its Retry-After, with jitter', async () => {
    api()
      [w.method](w.path)
      .reply(
        409,
        { error: 'A request with this Idempotency-Key is still being processed.', code: 'idempotency_key_in_use' },
        { 'Retry-After': '1' },
      );
    const { message, delay } = throttleOf(await rejection(w.run(w.inputData)));
    expectJittered(delay, 1);
    expect(message).toMatch(/still finishing an earlier attempt of this step/);
  });

  it('maps 422 idempotency_key_reused to a plain error that says what happened', async () => {
    api()
      [w.method](w.path)
      .reply(422, { error: 'This Idempotency-Key was used with a different request.', code: 'idempotency_key_reused' });
    const error = appErrorOf(await rejection(w.run(w.inputData)));
    expect(error).toMatchObject({ code: 'idempotency_key_reused', status: 422 });
    expect(error.message).toMatch(/^This Idempotency-Key was used with a different request\. QualifyBase refused/);
  });
}

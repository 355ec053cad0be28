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

/** A scope on the API that requires the Bearer header. */
export function api(): nock.Scope {
  return nock(API, { reqheaders: { authorization: `Bearer ${API_KEY}` } });
}

/** The `{message, code, status}` a z.errors.Error carries as JSON in its message. */
export function appErrorOf(error: unknown): { message: string; code: string; status: number } {
  expect(error).toBeInstanceOf(Error);
  const err = error as Error;
  expect(err.name).toBe('AppError');
  return JSON.parse(err.message);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/**
 * The API's error responses, each mapped to the Zapier error that tells the user what to do.
 * `intercept` returns the operation's request interceptor (before `.reply`), `run` runs the
 * operation once.
 */
export function itMapsApiErrors(intercept: () => nock.Interceptor, run: () => Promise<unknown>): void {
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

  it("maps 429 to ThrottledError with the server's Retry-After seconds", async () => {
    intercept().reply(429, { error: 'Rate limit exceeded.', code: 'rate_limited' }, { 'Retry-After': '17' });
    const error = await rejection(run());
    expect(error.name).toBe('ThrottledError');
    const { message, delay } = JSON.parse(error.message);
    expect(delay).toBe(17);
    expect(message).toMatch(/rate limit.*retry in 17 seconds/i);
  });
}

/**
 * Helpers for running the app's operations against the real reference server the way Zapier
 * would: createAppTester with QB_HOST pointing at the server, hook subscriptions whose target is
 * a real receiver, and each real signed delivery handed to the trigger's perform.
 */
import { createAppTester } from 'zapier-platform-core';

import App = require('../../index');
import { previousAttributesOf, withChanges } from '../../lib/changes';
import type { ReceivedRequest, Receiver } from '../../server/test/support/receiver';
import { startReceiver } from '../../server/test/support/receiver';

export const app = App as unknown as {
  authentication: { test: unknown; connectionLabel: unknown };
  triggers: Record<string, any>;
  creates: Record<string, any>;
  searches: Record<string, any>;
  searchOrCreates: Record<
    string,
    { search: string; create: string; update?: string; updateInputFromSearchOutput?: Record<string, string> }
  >;
};
/**
 * The app as Zapier runs it, with one documented flag for tests: `skipHttpPatch`. Without it,
 * zapier-platform-core's Lambda handler patches `http.request`/`https.request` of the whole
 * process once, for good, with a wrapper that takes `(options, callback)` only. A later nock
 * (@mswjs/interceptors) proxy calls that wrapper as `(url, options, callback)`, so its mock agent
 * is dropped and nock stops intercepting: an e2e file followed by an app test file in one jest
 * worker would send the app tests' requests to the real network. Every request of the app goes
 * through z.request, which logs on its own, so the patch has nothing to add here.
 */
/** Points the app at `url` (QB_HOST, lib/config.ts) until the function it returns puts back what was there. */
export function pointAppAt(url: string): () => void {
  const saved = process.env.QB_HOST;
  process.env.QB_HOST = url;
  return () => {
    if (saved === undefined) delete process.env.QB_HOST;
    else process.env.QB_HOST = saved;
  };
}

export const appTester = createAppTester({ ...App, flags: { ...App.flags, skipHttpPatch: true } } as typeof App);

/** Runs one operation function of the app with the clinic's key. */
export function run<T = any>(operation: unknown, apiKey: string, bundle: Record<string, unknown> = {}): Promise<T> {
  return appTester(operation as never, { authData: { api_key: apiKey }, ...bundle } as never) as Promise<T>;
}

/**
 * The headers of a received request in the form Zapier hands them to a hook's perform in
 * `bundle.rawRequest.headers`: Content-Type and Content-Length as they are, every other header
 * prefixed with `Http-` and Camel-Cased (`webhook-signature` -> `Http-Webhook-Signature`,
 * `x-qualifybase-signature` -> `Http-X-Qualifybase-Signature`).
 */
export function zapierRawHeaders(headers: ReceivedRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const camel = name
      .toLowerCase()
      .split('-')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('-');
    const key = camel === 'Content-Type' || camel === 'Content-Length' ? camel : `Http-${camel}`;
    out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** A hook trigger subscribed (through the app) to a receiver of its own. */
export interface Subscription {
  key: string;
  receiver: Receiver;
  subscribeData: { id: string; signingSecret: string; events: string[] };
  /** Hands a delivery to the trigger's perform, as Zapier does (cleaned and raw request, Http-* headers). */
  perform<T = any>(delivery: ReceivedRequest): Promise<T[]>;
  unsubscribe(): Promise<unknown>;
}

export async function subscribe(key: string, apiKey: string): Promise<Subscription> {
  const trigger = app.triggers[key];
  const receiver = await startReceiver();
  const subscribeData = await run(trigger.operation.performSubscribe, apiKey, { targetUrl: receiver.url });
  return {
    key,
    receiver,
    subscribeData,
    perform: (delivery) =>
      run(trigger.operation.perform, apiKey, {
        subscribeData,
        cleanedRequest: JSON.parse(delivery.body),
        rawRequest: { method: 'POST', querystring: '', headers: zapierRawHeaders(delivery.headers), content: delivery.body },
      }),
    unsubscribe: () => run(trigger.operation.performUnsubscribe, apiKey, { subscribeData }),
  };
}

/**
 * Zapier's search-or-create: the search; with a match, the update (when the search-or-create has
 * one) on the match, its input mapped from the match by updateInputFromSearchOutput; with none,
 * the create. Zapier tells the update and the create which search they run for (meta.withSearch).
 */
export async function searchOrCreate(key: string, apiKey: string, inputData: Record<string, unknown>) {
  const { search, create, update, updateInputFromSearchOutput = {} } = app.searchOrCreates[key]!;
  const meta = { withSearch: search };
  const found = await run<Record<string, any>[]>(app.searches[search].operation.perform, apiKey, { inputData });
  if (found.length === 0) {
    const result = await run<Record<string, any>>(app.creates[create].operation.perform, apiKey, { inputData, meta });
    return { created: true, updated: false, result };
  }
  if (!update) return { created: false, updated: false, result: found[0]! };
  const mapped = Object.fromEntries(Object.entries(updateInputFromSearchOutput).map(([input, output]) => [input, found[0]![output]]));
  const result = await run<Record<string, any>>(app.creates[update].operation.perform, apiKey, {
    inputData: { ...inputData, ...mapped },
    meta,
  });
  return { created: false, updated: true, result };
}

/** The error a z.errors.Error carries as JSON in its message. */
export async function appError(promise: Promise<unknown>): Promise<{ message: string; code: string; status: number }> {
  const error = await promise.then(
    () => {
      throw new Error('expected the step to fail');
    },
    (e: Error) => e,
  );
  expect(error.name).toBe('AppError');
  return JSON.parse(error.message);
}

/**
 * What an update trigger returns for `item` delivered in `delivery`: the item with the changes its
 * event's `data.previous_attributes` names (lib/changes.ts), for the trigger's tracked fields.
 */
export function withDeliveredChanges(item: object, delivery: ReceivedRequest, tracked: readonly string[]) {
  const previous = previousAttributesOf((JSON.parse(delivery.body) as { data?: unknown }).data) ?? {};
  return withChanges(item, previous, tracked);
}

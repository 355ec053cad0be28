/**
 * Helpers for running the app's operations against the real reference server the way Zapier
 * would: createAppTester with QB_HOST pointing at the server, hook subscriptions whose target is
 * a real receiver, and each real signed delivery handed to the trigger's perform.
 */
import { createAppTester } from 'zapier-platform-core';

import App = require('../../index');
import type { ReceivedRequest, Receiver } from '../support/receiver';
import { startReceiver } from '../support/receiver';

export const app = App as unknown as {
  triggers: Record<string, any>;
  creates: Record<string, any>;
  searches: Record<string, any>;
  searchOrCreates: Record<string, { search: string; create: string }>;
};
export const appTester = createAppTester(App);

/** Runs one operation function of the app with the clinic's key. */
export function run<T = any>(operation: unknown, apiKey: string, bundle: Record<string, unknown> = {}): Promise<T> {
  return appTester(operation as never, { authData: { api_key: apiKey }, ...bundle } as never) as Promise<T>;
}

/** A hook trigger subscribed (through the app) to a receiver of its own. */
export interface Subscription {
  key: string;
  receiver: Receiver;
  subscribeData: { id: string; signingSecret: string; events: string[] };
  /** Hands the n-th delivery to the trigger's perform, as Zapier does (cleaned and raw request). */
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
        rawRequest: { method: 'POST', querystring: '', headers: delivery.headers, content: delivery.body },
      }),
    unsubscribe: () => run(trigger.operation.performUnsubscribe, apiKey, { subscribeData }),
  };
}

/** Zapier's search-or-create: the search, then the create only when the search finds nothing. */
export async function searchOrCreate(key: string, apiKey: string, inputData: Record<string, unknown>) {
  const { search, create } = app.searchOrCreates[key]!;
  const found = await run<unknown[]>(app.searches[search].operation.perform, apiKey, { inputData });
  if (found.length > 0) return { created: false, result: found[0] as Record<string, any> };
  const result = await run<Record<string, any>>(app.creates[create].operation.perform, apiKey, { inputData });
  return { created: true, result };
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

/**
 * The app's router (http/router.ts) answers every path as Hono's TrieRouter alone did (the router
 * before issue 20's round 12), and uses the RegExpRouter for the paths outside the campaigns'.
 */
import pino from 'pino';
import type { Result } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';
import { createApp } from '../app';
import { loadConfig } from '../config';
import type { ServerDeps } from '../context';
import { SplitRouter } from '../http/router';

type Handler = unknown;

/** A match as handlers in order, each with its parameters' values (the RegExpRouter's stash resolved). */
function resolved(result: Result<Handler>): Array<[Handler, Record<string, string>]> {
  const [matches, stash] = result as [[Handler, Record<string, number | string>][], string[] | undefined];
  return matches.map(([handler, params]) => {
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(params)) {
      const v = stash === undefined ? value : stash[value as number];
      if (v !== undefined) values[name] = v as string;
    }
    return [handler, values];
  });
}

describe('the app router', () => {
  // Building the app touches no database; the routes are what matters here.
  const deps = {
    database: { kind: 'postgres', db: {} },
    config: { ...loadConfig(), devTools: true },
    logger: pino({ level: 'silent' }),
    notifyEvents: () => undefined,
  } as unknown as ServerDeps;
  const app = createApp(deps);

  const samplePath = (pattern: string) => pattern.replace(/:[^/{]+(\{[^}]*\})?/g, 'p1x').replace(/\*$/, 'any/thing');
  const paths = [
    ...new Set([
      ...app.routes.map((r) => samplePath(r.path)),
      '/',
      '/nope',
      '/api/v1/nope',
      '/api/v1/campaigns',
      '/api/v1/campaigns/contacts',
      '/api/v1/campaigns/c1/contacts/k1',
      '/api/v1/campaigns/c1',
      '/api/v1/campaigns/contacts/k1',
      '/api/v1/appointments/a1/extra',
      '/dashboard',
      '/dashboard/',
      '/dashboardx',
      '/dashboard/webhooks/w1/delete',
      '/dashboard/webhooks/w1/deliveries/d1/redeliver',
      '/api/v1/campaignsx',
    ]),
  ];
  const methods = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS'];

  it('matches every path and method as the TrieRouter alone does', () => {
    const split = new SplitRouter<Handler>();
    const trie = new TrieRouter<Handler>();
    for (const r of app.routes) {
      split.add(r.method, r.path, r.handler);
      trie.add(r.method, r.path, r.handler);
    }
    expect(paths.length).toBeGreaterThan(30);
    for (const method of methods) {
      for (const path of paths) {
        expect({ method, path, handlers: resolved(split.match(method, path)) }).toEqual({
          method,
          path,
          handlers: resolved(trie.match(method, path)),
        });
      }
    }
    // The RegExpRouter took every route outside the campaigns' (else every path goes to the TrieRouter).
    expect(split.name).toBe('SplitRouter (RegExpRouter, TrieRouter)');
  });

  it('is the router the app matches with', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect((app as unknown as { router: { name: string } }).router.name).toBe('SplitRouter (RegExpRouter, TrieRouter)');
  });
});

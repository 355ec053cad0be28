/**
 * The app's router (issue 20, round 12): Hono's RegExpRouter for every path but the campaigns' and
 * the dashboard's.
 * Hono's default (SmartRouter) uses the RegExpRouter only when it can hold every route, and it
 * cannot hold the static `/api/v1/campaigns/contacts` beside `/api/v1/campaigns/:id/contacts/:contact_id`
 * (a parameter beside a static segment), nor the dashboard's `/dashboard/webhooks/:id/:action{delete|enable}`
 * beside `/dashboard/webhooks/:id/deliveries/...`, so every request went through the TrieRouter instead: a
 * walk of the route tree that allocated about 5 KB per API request (a third of it living through a
 * scavenge) and 1.5-2 % of the server's CPU on the uncached list. Here the RegExpRouter (one
 * precompiled expression per method, nothing allocated for a static path) answers every path
 * outside `/api/v1/campaigns` and `/dashboard`, and a TrieRouter holding every route answers those.
 * Each answers exactly as the TrieRouter alone would (router.test.ts compares them on every route);
 * should the RegExpRouter ever refuse a route, the TrieRouter answers every path, as before.
 */
import type { Router } from 'hono/router';
import { UnsupportedPathError } from 'hono/router';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { TrieRouter } from 'hono/router/trie-router';

/** The paths the RegExpRouter cannot take: these and everything under them; the TrieRouter answers them. */
const TRIE_BASES = ['/api/v1/campaigns', '/dashboard'];

/** A path the TrieRouter answers (a route under a base can match only such a path, even `<base>/*` the base itself). */
const trieAnswers = (path: string) =>
  TRIE_BASES.some((base) => path.startsWith(base) && (path.length === base.length || path[base.length] === '/'));
/** A route the RegExpRouter is not given (it may refuse it, and it never matches a path the RegExpRouter answers). */
const trieOnly = (path: string) => TRIE_BASES.some((base) => path.startsWith(`${base}/`));

export class SplitRouter<T> implements Router<T> {
  name = 'SplitRouter';
  readonly #trie = new TrieRouter<T>();
  #regExp: RegExpRouter<T> | undefined = new RegExpRouter<T>();
  #built = false;

  add(method: string, path: string, handler: T): void {
    this.#trie.add(method, path, handler);
    if (this.#regExp === undefined || trieOnly(path)) return;
    try {
      this.#regExp.add(method, path, handler);
    } catch (error) {
      if (!(error instanceof UnsupportedPathError)) throw error;
      this.#regExp = undefined;
    }
  }

  match(method: string, path: string): ReturnType<Router<T>['match']> {
    if (!this.#built) this.#build(method, path);
    if (this.#regExp === undefined || trieAnswers(path)) return this.#trie.match(method, path);
    return this.#regExp.match(method, path);
  }

  /** The RegExpRouter compiles its expressions on its first match; a route it refuses then leaves the TrieRouter alone. */
  #build(method: string, path: string): void {
    this.#built = true;
    try {
      this.#regExp?.match(method, path);
    } catch (error) {
      if (!(error instanceof UnsupportedPathError)) throw error;
      this.#regExp = undefined;
    }
    this.name = this.#regExp ? 'SplitRouter (RegExpRouter, TrieRouter)' : 'SplitRouter (TrieRouter)';
  }
}

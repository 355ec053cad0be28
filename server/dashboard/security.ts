/**
 * The dashboard's request guards: the session cookie, CSRF (a synchronizer token per session on
 * every POST, plus refusing cross-origin POSTs by Origin / Sec-Fetch-Site), and response headers.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { requestIsHttps } from '../http/client-address';
import type { DashboardEnv, FormFields } from './env';
import { SESSION_MAX_MS } from './session';

/**
 * https directly, or (QB_TRUST_PROXY=1 only) at the proxy in front of us: the cookie must then be
 * Secure. Decided once per request by `detectHttps`; a client's own X-Forwarded-Proto counts
 * for nothing unless our proxy set it.
 */
export function isHttps(c: Context): boolean {
  return (c as Context<DashboardEnv>).get('https') === true;
}

export function detectHttps(trustProxy: boolean): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    c.set('https', requestIsHttps(c, trustProxy));
    await next();
  };
}

/** `__Host-` pins a Secure cookie to this host and path /; over plain http that prefix is not allowed. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-qb_session' : 'qb_session');
export const loginCsrfCookieName = (secure: boolean) => (secure ? '__Host-qb_login_csrf' : 'qb_login_csrf');

export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, sessionCookieName(isHttps(c)));
}

export function setSessionCookie(c: Context, value: string): void {
  const secure = isHttps(c);
  setCookie(c, sessionCookieName(secure), value, {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure,
    maxAge: Math.floor(SESSION_MAX_MS / 1000),
  });
}

export function clearSessionCookie(c: Context): void {
  const secure = isHttps(c);
  deleteCookie(c, sessionCookieName(secure), { path: '/', httpOnly: true, sameSite: 'Lax', secure });
}

/**
 * The sign-in form has no session yet: it carries a double-submit token, also set as an HttpOnly
 * cookie, and the POST must present both, equal.
 */
export function issueLoginCsrf(c: Context): string {
  const secure = isHttps(c);
  const existing = getCookie(c, loginCsrfCookieName(secure));
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const value = randomBytes(32).toString('base64url');
  setCookie(c, loginCsrfCookieName(secure), value, { path: '/', httpOnly: true, sameSite: 'Strict', secure, maxAge: 60 * 60 });
  return value;
}

export function loginCsrfCookie(c: Context): string | undefined {
  return getCookie(c, loginCsrfCookieName(isHttps(c)));
}

export function clearLoginCsrf(c: Context): void {
  const secure = isHttps(c);
  deleteCookie(c, loginCsrfCookieName(secure), { path: '/', httpOnly: true, sameSite: 'Strict', secure });
}

/** Constant-time equality of two tokens (false when either is missing). */
export function tokensMatch(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Is this POST from a page of ours? A browser names the page's origin in `Origin` (every POST)
 * and says `Sec-Fetch-Site`; either one pointing elsewhere refuses the request. Clients that send
 * neither (curl) still need the CSRF token, which only our pages have.
 */
export function sameOriginRequest(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  try {
    const own = new URL(c.req.url);
    const from = new URL(origin);
    // The host must match; behind a TLS-terminating proxy the scheme we see can differ.
    return from.host === (c.req.header('host') ?? own.host) && (from.protocol === own.protocol || isHttps(c));
  } catch {
    return false;
  }
}

/** A form body as plain strings; repeated fields (checkboxes) as arrays. */
export async function readForm(c: Context): Promise<FormFields> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return {};
  const body = await c.req.parseBody({ all: true });
  const out: FormFields = {};
  for (const [k, v] of Object.entries(body)) {
    if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
    else if (typeof v === 'string') out[k] = v;
  }
  return out;
}

export const field = (form: FormFields, name: string): string => {
  const v = form[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

export const fields = (form: FormFields, name: string): string[] => {
  const v = form[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

/** Headers for every dashboard response: no caching, no framing, only our own inline style. */
export function securityHeaders(styleHash: string): MiddlewareHandler<DashboardEnv> {
  const csp = [
    "default-src 'none'",
    `style-src '${styleHash}'`,
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  return async (c, next) => {
    await next();
    c.header('Content-Security-Policy', csp);
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    c.header('Cache-Control', 'no-store');
    if (isHttps(c)) c.header('Strict-Transport-Security', 'max-age=31536000');
  };
}

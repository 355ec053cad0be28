/** Sign in (GET/POST /login) and sign out (POST /logout). */
import type { ServerDeps } from '../../context';
import { throttledAddress } from '../../http/client-address';
import { rateLimitRefusals } from '../../metrics';
import {
  clearLoginCsrf,
  clearSessionCookie,
  field,
  issueLoginCsrf,
  loginCsrfCookie,
  readForm,
  readSessionCookie,
  sameOriginRequest,
  setSessionCookie,
  tokensMatch,
} from '../security';
import { createSession, destroySession, loadSession, signIn } from '../session';
import { loginPage } from '../views/login';
import { LOGIN_PATH, refuse, render, safeNext, type DashboardApp } from './common';

const GENERIC_LOGIN_ERROR = 'The email or password is incorrect.';

export function registerLoginPages(dash: DashboardApp, { database: { db }, config }: ServerDeps): void {
  dash.get('/login', async (c) => {
    const token = readSessionCookie(c);
    if (token && (await loadSession(db, token))) return c.redirect('/dashboard', 302);
    const signedOut = c.req.query('signed_out');
    const notice =
      signedOut === 'everywhere' ? 'You have been signed out everywhere.' : signedOut ? 'You have been signed out.' : undefined;
    return render(c, loginPage({ csrf: issueLoginCsrf(c), next: safeNext(c.req.query('next')), notice }));
  });

  dash.post('/login', async (c) => {
    if (!sameOriginRequest(c)) return refuse(c, 'This request came from another site and was refused.');
    const form = await readForm(c);
    if (!tokensMatch(field(form, '_csrf'), loginCsrfCookie(c))) {
      return refuse(c, 'The sign-in form has expired. Reload the page and try again.');
    }
    const email = field(form, 'email');
    const next = safeNext(field(form, 'next'));
    const again = (error: string, status: 401 | 429 | 503) => render(c, loginPage({ csrf: issueLoginCsrf(c), email, next, error }), status);
    const result = await signIn(db, email, field(form, 'password'), throttledAddress(c, config));
    if (!result.ok) {
      if (result.reason === 'invalid') return again(GENERIC_LOGIN_ERROR, 401);
      c.header('Retry-After', String(result.retryAfterSeconds));
      if (result.reason === 'busy') return again(`Too many sign-ins are being checked right now. Try again in a few seconds.`, 503);
      rateLimitRefusals.inc({ limiter: 'dashboard_login' });
      const wait =
        result.retryAfterSeconds < 120 ? `${result.retryAfterSeconds} seconds` : `${Math.ceil(result.retryAfterSeconds / 60)} minutes`;
      return again(`Too many failed sign-in attempts. Try again in ${wait}.`, 429);
    }
    // A fresh session id on every sign-in; a session this browser had before ends.
    const previous = readSessionCookie(c);
    if (previous) {
      const old = await loadSession(db, previous);
      if (old) await destroySession(db, old.id);
    }
    const session = await createSession(db, result.userId);
    setSessionCookie(c, session.token);
    clearLoginCsrf(c);
    return c.redirect(next ?? '/dashboard', 303);
  });

  dash.post('/logout', async (c) => {
    await destroySession(db, c.var.session.id);
    clearSessionCookie(c);
    return c.redirect(`${LOGIN_PATH}?signed_out=1`, 303);
  });
}

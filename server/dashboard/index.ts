/**
 * The clinic dashboard under /dashboard: server-rendered pages over the same services as the API.
 * Sign-in makes a server-side session; every POST needs the session's CSRF token and must not
 * come from another origin. Each page registers its routes from pages/; loaders/ gathers a page's
 * data, views/ renders it.
 */
import { Hono } from 'hono';
import type { ServerDeps } from '../context';
import { ApiError, fromDatabaseError, temporaryFailure } from '../errors';
import type { DashboardEnv } from './env';
import { registerAccountPages } from './pages/account';
import { registerApiKeyPages } from './pages/api-keys';
import { registerCalendarPage } from './pages/calendar';
import { LOGIN_PATH, refuse, render, safeNext, type Ctx } from './pages/common';
import { registerContactPages } from './pages/contacts';
import { registerLoginPages } from './pages/login';
import { registerRecordPages } from './pages/records';
import { registerWebhookPages } from './pages/webhooks';
import {
  clearSessionCookie,
  detectHttps,
  field,
  readForm,
  readSessionCookie,
  sameOriginRequest,
  securityHeaders,
  tokensMatch,
} from './security';
import { loadSession } from './session';
import { errorPage, STYLE_HASH } from './views/layout';

export function createDashboard(deps: ServerDeps): Hono<DashboardEnv> {
  const { db } = deps.database;
  const dash = new Hono<DashboardEnv>();

  dash.use('*', detectHttps(deps.config.trustProxy));
  dash.use('*', securityHeaders(STYLE_HASH));

  // Sign-in state and CSRF for everything except the sign-in page itself.
  dash.use('*', async (c, next) => {
    if (c.req.path === LOGIN_PATH) return next();
    const token = readSessionCookie(c);
    const session = token ? await loadSession(db, token) : undefined;
    if (!session) {
      if (token) clearSessionCookie(c);
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        const next = safeNext(c.req.path + new URL(c.req.url).search);
        const target = next && next !== '/dashboard' ? `${LOGIN_PATH}?next=${encodeURIComponent(next)}` : LOGIN_PATH;
        return c.redirect(target, 302);
      }
      return c.redirect(LOGIN_PATH, 303);
    }
    c.set('session', session);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      if (!sameOriginRequest(c)) return refuse(c, 'This request came from another site and was refused.');
      const form = await readForm(c);
      if (!tokensMatch(field(form, '_csrf'), session.csrfToken)) {
        return refuse(c, 'This form has expired or did not come from the dashboard. Reload the page and try again.');
      }
      c.set('form', form);
    }
    return next();
  });

  registerLoginPages(dash, deps);
  dash.get('/', (c) => c.redirect('/dashboard/calendar', 302));
  registerApiKeyPages(dash, deps);
  registerWebhookPages(dash, deps);
  registerCalendarPage(dash, deps);
  registerContactPages(dash, deps);
  registerAccountPages(dash, deps);
  registerRecordPages(dash, deps);

  dash.all('*', (c) => render(c, errorPage(404, 'There is no dashboard page at this address.'), 404));

  dash.onError((error, c) => {
    const known = error instanceof ApiError ? error : fromDatabaseError(error);
    if (known) {
      const status = known.status === 404 || known.status === 400 || known.status === 403 ? known.status : 400;
      return render(c as Ctx, errorPage(status, known.message), status);
    }
    const temporary = temporaryFailure(error);
    if (temporary) {
      for (const [name, value] of Object.entries(temporary.headers ?? {})) c.header(name, value);
      return render(c as Ctx, errorPage(503, 'The dashboard cannot reach its database just now. Try again in a few seconds.'), 503);
    }
    deps.logger.error({ err: error, path: c.req.path }, 'dashboard error');
    return render(c as Ctx, errorPage(500, 'The page could not be shown. Try again in a moment.'), 500);
  });

  return dash;
}

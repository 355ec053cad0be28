/**
 * The clinic dashboard under /dashboard: server-rendered pages over the same services as the API.
 * Sign-in makes a server-side session; every POST needs the session's CSRF token and must not
 * come from another origin.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { CONTACT_OUTCOMES, CONTACT_STATUSES, SCOPES, type Scope } from '../../contract';
import type { ServerDeps } from '../context';
import { clientAddress } from '../http/client-address';
import { ApiError, fromDatabaseError } from '../http/errors';
import { rateLimitRefusals } from '../metrics';
import { createApiKey, listApiKeys, revokeApiKey } from '../services/api-keys';
import { listCampaigns, listContacts, recordContactOutcome } from '../services/campaigns';
import { listDeliveries, redeliver } from '../services/webhook-deliveries';
import { deleteClinicWebhook, enableClinicWebhook, listWebhooks } from '../services/webhooks';
import { loadWeek } from './calendar';
import type { DashboardEnv } from './env';
import {
  clearLoginCsrf,
  clearSessionCookie,
  field,
  fields,
  issueLoginCsrf,
  loginCsrfCookie,
  readForm,
  readSessionCookie,
  sameOriginRequest,
  securityHeaders,
  setSessionCookie,
  tokensMatch,
} from './security';
import { createSession, destroySession, loadSession, signIn } from './session';
import { apiKeysPage, keyCreatedPage } from './views/api-keys';
import { calendarPage } from './views/calendar';
import { contactsPage, OUTCOME_LABELS, type ContactsView, type StatusTab } from './views/contacts';
import { errorPage, STYLE_HASH, type Flash, type Html } from './views/layout';
import { loginPage } from './views/login';
import { webhooksPage, type SubscriptionView } from './views/webhooks';

type Ctx = Context<DashboardEnv>;

const LOGIN_PATH = '/dashboard/login';
const GENERIC_LOGIN_ERROR = 'The email or password is incorrect.';
const Uuid = z.uuid();
const DeliveryId = z.string().regex(/^msg_[0-9a-f]{32}$/);
const WEBHOOK_FLASH: Record<string, string> = {
  redelivered: 'Redelivery queued: the event is being sent again.',
  deleted: 'The subscription was deleted: nothing more is sent to it.',
  enabled: 'The subscription was re-enabled: new events are delivered to it again.',
};

/** Only a path inside the dashboard may be a redirect target (no //host, no scheme). */
function safeNext(value: string | undefined): string | undefined {
  if (!value || value.length > 500) return undefined;
  return /^\/dashboard(?:[/?][A-Za-z0-9\-._~/?=&%]*)?$/.test(value) && !value.includes('//') ? value : undefined;
}

function render(c: Ctx, body: Html, status: 200 | 400 | 401 | 403 | 404 | 429 | 500 = 200) {
  return c.html(body, status);
}

function refuse(c: Ctx, message: string) {
  return render(c, errorPage(403, message), 403);
}

export function createDashboard(deps: ServerDeps): Hono<DashboardEnv> {
  const { db } = deps.database;
  const dash = new Hono<DashboardEnv>();

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

  // ---- sign in / sign out ----

  dash.get('/login', async (c) => {
    const token = readSessionCookie(c);
    if (token && (await loadSession(db, token))) return c.redirect('/dashboard', 302);
    const notice = c.req.query('signed_out') ? 'You have been signed out.' : undefined;
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
    const again = (error: string, status: 401 | 429) =>
      render(c, loginPage({ csrf: issueLoginCsrf(c), email, next, error }), status);
    const result = await signIn(db, email, field(form, 'password'), clientAddress(c, deps.config.trustProxy));
    if (!result.ok) {
      if (result.reason === 'rate_limited') {
        rateLimitRefusals.inc({ limiter: 'dashboard_login' });
        c.header('Retry-After', String(result.retryAfterSeconds));
        const wait = result.retryAfterSeconds < 120 ? `${result.retryAfterSeconds} seconds` : `${Math.ceil(result.retryAfterSeconds / 60)} minutes`;
        return again(`Too many failed sign-in attempts. Try again in ${wait}.`, 429);
      }
      return again(GENERIC_LOGIN_ERROR, 401);
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

  dash.get('/', (c) => c.redirect('/dashboard/calendar', 302));

  // ---- Setup -> API keys ----

  dash.get('/setup', (c) => c.redirect('/dashboard/setup/api-keys', 302));

  dash.get('/setup/api-keys', async (c) => {
    const session = c.var.session;
    const done = c.req.query('done');
    const flash: Flash | undefined =
      done === 'revoked' ? { kind: 'ok', text: 'The key was revoked. Requests with it are now refused.' } : done === 'gone' ? { kind: 'bad', text: 'That key was already revoked.' } : undefined;
    return render(c, apiKeysPage(session, await listApiKeys(db, session.clinicId), { name: '', scopes: SCOPES }, flash));
  });

  dash.post('/setup/api-keys', async (c) => {
    const session = c.var.session;
    const form = c.var.form;
    const name = field(form, 'name').trim();
    const requested = fields(form, 'scopes');
    const scopes = requested.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
    let error: string | undefined;
    if (!name) error = 'Give the key a name, such as the system that will use it.';
    else if (name.length > 100) error = 'The name can be at most 100 characters.';
    else if (scopes.length === 0 || scopes.length !== requested.length) error = 'Choose at least one scope.';
    if (error) {
      const keys = await listApiKeys(db, session.clinicId);
      return render(c, apiKeysPage(session, keys, { name, scopes, error }), 400);
    }
    const created = await createApiKey(db, session.clinicId, name, scopes);
    return render(c, keyCreatedPage(session, created.row, created.key));
  });

  dash.post('/setup/api-keys/:id/revoke', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    if (!id.success) throw new ApiError(404, 'not_found', 'API key not found');
    const revoked = await revokeApiKey(db, c.var.session.clinicId, id.data);
    return c.redirect(`/dashboard/setup/api-keys?done=${revoked ? 'revoked' : 'gone'}`, 303);
  });

  // ---- Webhooks ----

  dash.get('/webhooks', async (c) => {
    const session = c.var.session;
    const viewer = { clinicId: session.clinicId };
    const subscriptions: SubscriptionView[] = [];
    // Subscriptions belong to the key that made them: gather them key by key, revoked keys too.
    for (const key of await listApiKeys(db, session.clinicId)) {
      for (const webhook of await listWebhooks(db, { clinicId: session.clinicId, keyId: key.id })) {
        const deliveries = await listDeliveries(db, viewer, webhook.id, { page: 1, per_page: 10 });
        subscriptions.push({
          webhook,
          keyName: key.name,
          keyPrefix: key.prefix,
          keyRevoked: key.revoked_at !== null,
          deliveries: deliveries.data,
          totalDeliveries: deliveries.meta.total,
        });
      }
    }
    subscriptions.sort((a, b) => b.webhook.created_at.localeCompare(a.webhook.created_at));
    const done = c.req.query('done');
    const flash: Flash | undefined = done && done in WEBHOOK_FLASH ? { kind: 'ok', text: WEBHOOK_FLASH[done]! } : undefined;
    return render(c, webhooksPage(session, subscriptions, flash));
  });

  // Delete or re-enable any subscription of the clinic (an API key sees only its own).
  dash.post('/webhooks/:id/:action{delete|enable}', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    if (!id.success) throw new ApiError(404, 'not_found', 'Webhook not found');
    const action = c.req.param('action');
    await (action === 'delete' ? deleteClinicWebhook : enableClinicWebhook)(db, c.var.session.clinicId, id.data);
    return c.redirect(`/dashboard/webhooks?done=${action === 'delete' ? 'deleted' : 'enabled'}`, 303);
  });

  dash.post('/webhooks/:id/deliveries/:deliveryId/redeliver', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    const deliveryId = DeliveryId.safeParse(c.req.param('deliveryId'));
    if (!id.success || !deliveryId.success) throw new ApiError(404, 'not_found', 'Delivery not found');
    await redeliver(db, { clinicId: c.var.session.clinicId }, id.data, deliveryId.data);
    return c.redirect('/dashboard/webhooks?done=redelivered', 303);
  });

  // ---- Calendar ----

  dash.get('/calendar', async (c) => {
    const session = c.var.session;
    return render(c, calendarPage(session, await loadWeek(db, session.clinicId, c.req.query('week'))));
  });

  // ---- Campaign contacts ----

  dash.get('/contacts', async (c) => {
    const session = c.var.session;
    const statusParam = c.req.query('status');
    const status: StatusTab = (CONTACT_STATUSES as readonly string[]).includes(statusParam ?? '') ? (statusParam as StatusTab) : 'all';
    const campaignParam = Uuid.safeParse(c.req.query('campaign_id'));
    const campaignId = campaignParam.success ? campaignParam.data : undefined;
    const pageNumber = Math.min(Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1), 10_000);
    const perPage = 25;

    const tabs: StatusTab[] = ['all', ...CONTACT_STATUSES];
    const totals = await Promise.all(
      tabs.map(async (t) => (await listContacts(db, session.clinicId, { status: t === 'all' ? undefined : t, campaign_id: campaignId, page: 1, per_page: 1 })).meta.total),
    );
    const list = await listContacts(db, session.clinicId, {
      status: status === 'all' ? undefined : status,
      campaign_id: campaignId,
      page: pageNumber,
      per_page: perPage,
    });
    const campaigns = await listCampaigns(db, session.clinicId, { page: 1, per_page: 100 });
    const view: ContactsView = {
      status,
      campaignId,
      campaigns: campaigns.data,
      counts: Object.fromEntries(tabs.map((t, i) => [t, totals[i]!])) as Record<StatusTab, number>,
      contacts: list.data,
      page: pageNumber,
      perPage,
      total: list.meta.total,
    };
    const done = c.req.query('done');
    const flash: Flash | undefined =
      done && done in OUTCOME_LABELS ? { kind: 'ok', text: `Outcome recorded: ${OUTCOME_LABELS[done as keyof typeof OUTCOME_LABELS]}.` } : undefined;
    return render(c, contactsPage(session, view, flash));
  });

  dash.post('/contacts/:id/outcome', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    if (!id.success) throw new ApiError(404, 'not_found', 'Campaign contact not found');
    const outcome = field(c.var.form, 'status');
    if (!(CONTACT_OUTCOMES as readonly string[]).includes(outcome)) throw new ApiError(400, 'invalid_input', 'Unknown outcome');
    await recordContactOutcome(db, c.var.session.clinicId, id.data, outcome as (typeof CONTACT_OUTCOMES)[number]);
    const back = safeNext(field(c.var.form, 'back'));
    const target = back?.startsWith('/dashboard/contacts') ? back : '/dashboard/contacts';
    return c.redirect(`${target}${target.includes('?') ? '&' : '?'}done=${outcome}`, 303);
  });

  dash.all('*', (c) => render(c, errorPage(404, 'There is no dashboard page at this address.'), 404));

  dash.onError((error, c) => {
    const known = error instanceof ApiError ? error : fromDatabaseError(error);
    if (known) {
      const status = known.status === 404 || known.status === 400 || known.status === 403 ? known.status : 400;
      return render(c as Ctx, errorPage(status, known.message), status);
    }
    deps.logger.error({ err: error, path: c.req.path }, 'dashboard error');
    return render(c as Ctx, errorPage(500, 'The page could not be shown. Try again in a moment.'), 500);
  });

  return dash;
}

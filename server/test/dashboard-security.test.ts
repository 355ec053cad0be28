/**
 * Dashboard sign-in, sessions and CSRF over plain HTTP (no browser): cookie flags, the server-side
 * session table, the synchronizer token and Origin checks on every POST, rate-limited sign-in.
 */
import { createHash } from 'node:crypto';
import { createUser } from '../services/users';
import { FREE_FAILURES, signIn as checkSignIn, signInDelayMs } from '../dashboard/session';
import { createApiKey, revokeApiKey } from '../services/api-keys';
import { backends } from './support/databases';
import { cookieValue, dashboardClient, http } from './support/dashboard';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

const PASSWORD = 'a long enough password';

describe.each(backends())('dashboard security on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let email: string;
  let n = 0;

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic('Security Clinic');
  });
  afterAll(async () => {
    await srv.close();
  });
  beforeEach(async () => {
    // A user per test, so failed-sign-in counts of one test do not reach another.
    email = `user${++n}@security.test`;
    await createUser(srv.running.deps.database.db, clinic.clinic.id, email, PASSWORD);
  });

  const db = () => srv.running.deps.database.db;

  const client = () => dashboardClient(srv.url);
  const loginForm = (headers: Record<string, string> = {}) => client().loginForm(headers);
  const signIn = (password = PASSWORD, who = email, headers: Record<string, string> = {}) => client().signIn(who, password, headers);
  /** A signed-in session: its cookie header and the CSRF token its pages carry. */
  const session = () => client().session(email, PASSWORD);

  it('sends signed-out requests to sign in, keeping only dashboard paths as the way back', async () => {
    const res = await http(srv.url, 'GET', '/dashboard/contacts?status=qualified');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard%2Fcontacts%3Fstatus%3Dqualified');

    const form = await loginForm();
    const evil = await http(srv.url, 'POST', '/dashboard/login', {
      cookie: form.cookie,
      form: { _csrf: form.token, email, password: PASSWORD, next: '//evil.example/dashboard' },
    });
    expect(evil.status).toBe(303);
    expect(evil.headers.get('location')).toBe('/dashboard');
    const back = await http(srv.url, 'POST', '/dashboard/login', {
      cookie: form.cookie,
      form: { _csrf: form.token, email, password: PASSWORD, next: '/dashboard/webhooks' },
    });
    expect(back.headers.get('location')).toBe('/dashboard/webhooks');
  });

  it('sets an HttpOnly, SameSite=Lax session cookie, not Secure over http, and keeps only its hash', async () => {
    const res = await signIn();
    expect(res.status).toBe(303);
    const set = res.cookies.find((c) => c.startsWith('qb_session='))!;
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Lax/);
    expect(set).toMatch(/; Path=\//);
    expect(set).not.toMatch(/; Secure/);
    const token = cookieValue(res.cookies, 'qb_session')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const rows = await db().selectFrom('dashboard_sessions').selectAll().execute();
    expect(rows.map((r) => r.id)).toContain(createHash('sha256').update(token).digest('hex'));
    expect(rows.map((r) => r.id)).not.toContain(token);
    const row = rows.find((r) => r.id === createHash('sha256').update(token).digest('hex'))!;
    expect(row.expires_at.getTime()).toBeGreaterThan(Date.now());
    expect(row.expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 2 * 60 * 60 * 1000 + 1000);
  });

  it('marks the cookies Secure with the __Host- prefix when served over https (our proxy says so with QB_TRUST_PROXY=1)', async () => {
    const proxied = await startTestServer(backend, { runWorker: false, trustProxy: true });
    try {
      const proxiedClinic = await proxied.clinic('Proxied Clinic');
      await createUser(proxied.running.deps.database.db, proxiedClinic.clinic.id, email, PASSWORD);
      const https = { 'x-forwarded-proto': 'https' };
      const form = await dashboardClient(proxied.url).loginForm(https);
      expect(form.res.cookies[0]).toMatch(/^__Host-qb_login_csrf=.*; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
      const res = await http(proxied.url, 'POST', '/dashboard/login', {
        cookie: form.cookie,
        form: { _csrf: form.token, email, password: PASSWORD },
        headers: https,
      });
      expect(res.status).toBe(303);
      const set = res.cookies.find((c) => c.startsWith('__Host-qb_session='))!;
      expect(set).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
      // The https cookie opens pages over https.
      const page = await http(proxied.url, 'GET', '/dashboard/calendar', { cookie: set.split(';')[0], headers: https });
      expect(page.status).toBe(200);
    } finally {
      await proxied.close();
    }
  });

  it("ignores a client's own X-Forwarded-Proto without QB_TRUST_PROXY: no Secure cookie, no __Host- name, no HSTS", async () => {
    const https = { 'x-forwarded-proto': 'https' };
    const form = await loginForm(https);
    expect(form.res.cookies[0]).toMatch(/^qb_login_csrf=/);
    expect(form.res.cookies[0]).not.toMatch(/Secure/);
    expect(form.res.headers.get('strict-transport-security')).toBeNull();
    const res = await http(srv.url, 'POST', '/dashboard/login', {
      cookie: form.cookie,
      form: { _csrf: form.token, email, password: PASSWORD },
      headers: https,
    });
    expect(res.status).toBe(303);
    expect(res.cookies.some((c) => c.startsWith('__Host-'))).toBe(false);
    const set = res.cookies.find((c) => c.startsWith('qb_session='))!;
    expect(set).not.toMatch(/Secure/);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('gives the same generic answer for a wrong password and an unknown email', async () => {
    const wrong = await signIn('wrong password');
    const unknown = await signIn(PASSWORD, 'nobody@security.test');
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.text).toContain('The email or password is incorrect.');
      expect(res.cookies.some((c) => c.startsWith('qb_session='))).toBe(false);
    }
  });

  it('slows sign-in from this address after repeated failures: even the right password waits', async () => {
    for (let i = 0; i < FREE_FAILURES; i++) expect((await signIn('wrong')).status).toBe(401);
    const limited = await signIn(PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.text).toContain('Too many failed sign-in attempts');
    // Another user is not affected.
    expect((await signIn(PASSWORD, `user${n - 1}@security.test`)).status).toBe(303);
  });

  // 24 password checks (scrypt N=2^17, about half a second each on an idle core): more than jest's default minute on a busy machine.
  it('lets the clinic sign in from its own address while a stranger guesses its password, and slows the stranger more and more', async () => {
    const stranger = '203.0.113.66';
    const clinicOffice = '198.51.100.20';
    let now = Date.now();
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      const result = await checkSignIn(db(), email, `guess ${i}`, stranger, now);
      if (!result.ok && result.reason === 'rate_limited') {
        waits.push(result.retryAfterSeconds);
        now += result.retryAfterSeconds * 1000; // the stranger waits it out, then guesses again
        i--;
        continue;
      }
      expect(result).toEqual({ ok: false, reason: 'invalid' });
      // The right password from the clinic's own address works at every point of the attack.
      expect(await checkSignIn(db(), email, PASSWORD, clinicOffice, now)).toEqual({ ok: true, userId: expect.any(String) });
    }
    // Growing delays for the stranger: each wait at least as long as the one before, doubling.
    expect(waits.length).toBeGreaterThanOrEqual(12 - FREE_FAILURES);
    for (let i = 1; i < waits.length; i++) expect(waits[i]!).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(waits[waits.length - 1]!).toBeGreaterThanOrEqual(waits[0]! * 8);
    expect(signInDelayMs(100)).toBeLessThanOrEqual(15 * 60 * 1000);
  }, 240_000);

  it('refuses a sign-in POST without the form token, with a wrong one, or from another origin', async () => {
    const form = await loginForm();
    const good = { _csrf: form.token, email, password: PASSWORD };
    expect((await http(srv.url, 'POST', '/dashboard/login', { form: good })).status).toBe(403); // no cookie
    expect(
      (await http(srv.url, 'POST', '/dashboard/login', { cookie: form.cookie, form: { ...good, _csrf: 'x'.repeat(43) } })).status,
    ).toBe(403);
    expect(
      (await http(srv.url, 'POST', '/dashboard/login', { cookie: form.cookie, form: good, headers: { origin: 'https://evil.example' } }))
        .status,
    ).toBe(403);
    expect(
      (await http(srv.url, 'POST', '/dashboard/login', { cookie: form.cookie, form: good, headers: { origin: srv.url } })).status,
    ).toBe(303);
  });

  it('checks the session CSRF token and the origin on every POST', async () => {
    const s = await session();
    const keys = () => db().selectFrom('api_keys').select('name').where('clinic_id', '=', clinic.clinic.id).execute();
    const create = (form: Record<string, string | string[]>, headers: Record<string, string> = {}) =>
      http(srv.url, 'POST', '/dashboard/setup/api-keys', { cookie: s.cookie, form, headers });

    expect((await create({ name: 'no token', scopes: 'leads:read' })).status).toBe(403);
    expect((await create({ _csrf: 'A'.repeat(s.token.length), name: 'wrong token', scopes: 'leads:read' })).status).toBe(403);
    expect((await create({ _csrf: s.token, name: 'cross origin', scopes: 'leads:read' }, { origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await create({ _csrf: s.token, name: 'null origin', scopes: 'leads:read' }, { origin: 'null' })).status).toBe(403);
    expect((await create({ _csrf: s.token, name: 'cross site', scopes: 'leads:read' }, { 'sec-fetch-site': 'cross-site' })).status).toBe(
      403,
    );
    // Another session's token is not this session's token.
    const other = await session();
    expect((await create({ _csrf: other.token, name: 'other token', scopes: 'leads:read' })).status).toBe(403);
    expect((await keys()).map((k) => k.name)).toEqual(['Default key']);

    const ok = await create(
      { _csrf: s.token, name: 'good', scopes: ['leads:read', 'leads:write'] },
      { origin: srv.url, 'sec-fetch-site': 'same-origin' },
    );
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/qbk_live_[A-Za-z0-9_-]{32}/);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect((await keys()).map((k) => k.name).sort()).toEqual(['Default key', 'good']);

    // The same guard covers the other forms: revoke, redeliver, outcome, sign out.
    const key = (await db().selectFrom('api_keys').select('id').where('name', '=', 'good').executeTakeFirstOrThrow()).id;
    for (const path of [`/dashboard/setup/api-keys/${key}/revoke`, '/dashboard/logout']) {
      expect((await http(srv.url, 'POST', path, { cookie: s.cookie, form: {} })).status).toBe(403);
    }
    const revoked = await db().selectFrom('api_keys').select('revoked_at').where('id', '=', key).executeTakeFirstOrThrow();
    expect(revoked.revoked_at).toBeNull();
  });

  it('sends security headers with every page', async () => {
    const s = await session();
    const res = await http(srv.url, 'GET', '/dashboard/calendar', { cookie: s.cookie });
    expect(res.headers.get('content-security-policy')).toMatch(
      /default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; .*frame-ancestors 'none'/,
    );
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).not.toMatch(/<script/i);
  });

  it('ends a session at sign-out, and an expired session is refused and deleted', async () => {
    const s = await session();
    expect((await http(srv.url, 'POST', '/dashboard/logout', { cookie: s.cookie, form: { _csrf: s.token } })).status).toBe(303);
    expect((await http(srv.url, 'GET', '/dashboard/calendar', { cookie: s.cookie })).status).toBe(302);

    const t = await session();
    const id = createHash('sha256').update(t.raw).digest('hex');
    await db()
      .updateTable('dashboard_sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', id)
      .execute();
    const res = await http(srv.url, 'GET', '/dashboard/calendar', { cookie: t.cookie });
    expect(res.status).toBe(302);
    expect(res.cookies.some((c) => c.startsWith('qb_session=;'))).toBe(true);
    expect(await db().selectFrom('dashboard_sessions').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
  });

  it('a sign-in replaces the session the browser had', async () => {
    const s = await session();
    const form = await loginForm();
    const res = await http(srv.url, 'POST', '/dashboard/login', {
      cookie: `${form.cookie}; ${s.cookie}`,
      form: { _csrf: form.token, email, password: PASSWORD },
    });
    expect(res.status).toBe(303);
    expect(cookieValue(res.cookies, 'qb_session')).not.toBe(s.raw);
    expect((await http(srv.url, 'GET', '/dashboard/calendar', { cookie: s.cookie })).status).toBe(302);
  });

  it('renders every page, any calendar week, and an HTML 404 for an unknown page', async () => {
    const s = await session();
    for (const path of [
      '/dashboard/calendar',
      '/dashboard/contacts?status=qualified&page=3',
      '/dashboard/webhooks',
      '/dashboard/setup/api-keys',
    ]) {
      const res = await http(srv.url, 'GET', path, { cookie: s.cookie });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    }
    // A past week has no open slots; a malformed week falls back to this week.
    const past = await http(srv.url, 'GET', '/dashboard/calendar?week=2020-03-04', { cookie: s.cookie });
    expect(past.text).toContain('data-date="2020-03-02"');
    expect(past.text).not.toContain('class="item open"');
    const future = await http(srv.url, 'GET', '/dashboard/calendar?week=2099-12-31', { cookie: s.cookie });
    expect(future.text).toContain('data-date="2099-12-28"');
    expect(future.text).toContain('class="item open"');
    const junk = await http(srv.url, 'GET', '/dashboard/calendar?week=2026-02-31', { cookie: s.cookie });
    expect(junk.status).toBe(200);
    expect(junk.text).toContain('class="day today"');
    const missing = await http(srv.url, 'GET', '/dashboard/nope', { cookie: s.cookie });
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('There is no dashboard page at this address.');
  });

  it("shows only this clinic: another clinic's key cannot be revoked from here", async () => {
    const other = await srv.clinic('Other Clinic');
    const otherKey = (await db().selectFrom('api_keys').select('id').where('clinic_id', '=', other.clinic.id).executeTakeFirstOrThrow()).id;
    const s = await session();
    const res = await http(srv.url, 'POST', `/dashboard/setup/api-keys/${otherKey}/revoke`, { cookie: s.cookie, form: { _csrf: s.token } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/setup/api-keys?done=gone');
    expect((await other.api.get('/api/v1/me')).status).toBe(200);
    const page = await http(srv.url, 'GET', '/dashboard/setup/api-keys', { cookie: s.cookie });
    expect(page.text).not.toContain(otherKey);
  });

  describe('webhook subscriptions on the dashboard', () => {
    /** A subscription made by a key of the clinic (through the API), optionally disabled. */
    async function subscription(status: 'active' | 'disabled' = 'active') {
      const { key, row } = await createApiKey(db(), clinic.clinic.id, 'zapier', ['webhooks:write']);
      const res = await srv.client(key).post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['lead.created'] });
      expect(res.status).toBe(201);
      if (status === 'disabled')
        await db()
          .updateTable('webhooks')
          .set({ status: 'disabled', disabled_reason: 'failing for days' })
          .where('id', '=', res.body.id)
          .execute();
      return { id: res.body.id as string, keyId: row.id };
    }
    const webhookRow = (id: string) =>
      db().selectFrom('webhooks').select(['status', 'disabled_reason']).where('id', '=', id).executeTakeFirst();

    it('offers Delete, and Re-enable for a disabled subscription, as CSRF-protected forms', async () => {
      const active = await subscription();
      const disabled = await subscription('disabled');
      const s = await session();
      const page = await http(srv.url, 'GET', '/dashboard/webhooks', { cookie: s.cookie });
      expect(page.text).toContain(`action="/dashboard/webhooks/${active.id}/delete"`);
      expect(page.text).toContain(`action="/dashboard/webhooks/${disabled.id}/enable"`);
      expect(page.text).not.toContain(`action="/dashboard/webhooks/${active.id}/enable"`);
    });

    it('deletes a subscription any key of the clinic made; nothing is recorded for it afterwards', async () => {
      const sub = await subscription();
      const s = await session();
      const res = await http(srv.url, 'POST', `/dashboard/webhooks/${sub.id}/delete`, { cookie: s.cookie, form: { _csrf: s.token } });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/dashboard/webhooks?done=deleted');
      expect(await webhookRow(sub.id)).toBeUndefined();
      expect((await clinic.api.post('/api/v1/leads', { email: 'after-delete@example.com' })).status).toBe(201);
      expect(await db().selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', sub.id).execute()).toEqual([]);
    });

    it('re-enables a disabled subscription', async () => {
      const sub = await subscription('disabled');
      const s = await session();
      const res = await http(srv.url, 'POST', `/dashboard/webhooks/${sub.id}/enable`, { cookie: s.cookie, form: { _csrf: s.token } });
      expect(res.status).toBe(303);
      expect(await webhookRow(sub.id)).toEqual({ status: 'active', disabled_reason: null });
    });

    it('refuses to delete or re-enable without the CSRF token, from another origin, or in another clinic', async () => {
      const sub = await subscription('disabled');
      const s = await session();
      for (const action of ['delete', 'enable']) {
        expect((await http(srv.url, 'POST', `/dashboard/webhooks/${sub.id}/${action}`, { cookie: s.cookie, form: {} })).status).toBe(403);
        expect(
          (
            await http(srv.url, 'POST', `/dashboard/webhooks/${sub.id}/${action}`, {
              cookie: s.cookie,
              form: { _csrf: s.token },
              headers: { origin: 'https://evil.example' },
            })
          ).status,
        ).toBe(403);
      }
      const other = await srv.clinic('Webhook Other Clinic');
      const theirs = await other.api.post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/theirs', events: ['lead.created'] });
      expect(
        (await http(srv.url, 'POST', `/dashboard/webhooks/${theirs.body.id}/delete`, { cookie: s.cookie, form: { _csrf: s.token } }))
          .status,
      ).toBe(404);
      expect(await webhookRow(theirs.body.id)).toBeDefined();
      expect(await webhookRow(sub.id)).toEqual({ status: 'disabled', disabled_reason: 'failing for days' });
    });

    it("keeps a revoked key's subscription ended: no re-enable, and a redelivery does not revive it", async () => {
      const sub = await subscription();
      await clinic.api.post('/api/v1/leads', { email: 'before-revoke@example.com' });
      const delivery = await db().selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', sub.id).executeTakeFirstOrThrow();
      const s = await session();
      const revoke = await http(srv.url, 'POST', `/dashboard/setup/api-keys/${sub.keyId}/revoke`, {
        cookie: s.cookie,
        form: { _csrf: s.token },
      });
      expect(revoke.headers.get('location')).toBe('/dashboard/setup/api-keys?done=revoked');
      expect((await webhookRow(sub.id))!.status).toBe('disabled');
      const page = await http(srv.url, 'GET', '/dashboard/webhooks', { cookie: s.cookie });
      expect(page.text).not.toContain(`action="/dashboard/webhooks/${sub.id}/enable"`);
      const enable = await http(srv.url, 'POST', `/dashboard/webhooks/${sub.id}/enable`, { cookie: s.cookie, form: { _csrf: s.token } });
      expect(enable.status).toBe(400);
      expect(enable.text).toContain('revoked');
      await http(srv.url, 'POST', `/dashboard/webhooks/${sub.id}/deliveries/${delivery.id}/redeliver`, {
        cookie: s.cookie,
        form: { _csrf: s.token },
      });
      expect((await webhookRow(sub.id))!.status).toBe('disabled');
      expect(await revokeApiKey(db(), clinic.clinic.id, sub.keyId)).toBe(false);
    });
  });
});

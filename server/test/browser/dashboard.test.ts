/**
 * The dashboard in real headless Chromium against a real server (PGlite): sign in, API keys,
 * booking seen on the calendar, webhook deliveries, contact outcomes, CSRF, revocation, sign out.
 * The steps share one signed-in browser and run in order.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser } from '../../services/users';
import { launchChromium } from '../support/browser';
import { startReceiver, type Receiver } from '../support/receiver';
import { apiClient, startTestServer, type ApiClient, type TestClinic, type TestServer } from '../support/server';

const EMAIL = 'owner@sunrise-dental.test';
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a new and longer passphrase';
const TIME_ZONE = 'America/New_York';

/** The clinic-time calendar date of an instant, YYYY-MM-DD. */
const clinicDate = (iso: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
const clinicTime = (iso: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

/** Reloads until the check passes (deliveries are written by the background deliverer). */
async function eventually(page: Page, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms on ${page.url()}`);
    await new Promise((r) => setTimeout(r, 250));
    await page.reload();
  }
}

describe('dashboard in a browser', () => {
  let srv: TestServer;
  let clinic: TestClinic;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let receiver: Receiver;
  const cspViolations: string[] = [];
  // Set by earlier steps, used by later ones.
  let key: string;
  let api: ApiClient;
  let appointmentId: string;

  beforeAll(async () => {
    srv = await startTestServer('pglite', { webhookScheduleScale: 0.001 });
    clinic = await srv.clinic('Sunrise Dental', TIME_ZONE);
    await createUser(srv.running.deps.database.db, clinic.clinic.id, EMAIL, PASSWORD);
    receiver = await startReceiver();
    browser = await launchChromium();
    context = await browser.newContext({ baseURL: srv.url, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await srv?.close();
  });

  afterEach(() => {
    // The inline stylesheet is allowed by its hash and nothing else is inline: no CSP reports.
    expect(cspViolations.splice(0)).toEqual([]);
  });

  it('sends a signed-out visitor to sign in, refuses a wrong password, then signs in', async () => {
    await page.goto('/dashboard/calendar');
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');

    await page.fill('#email', EMAIL);
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await expect(page.locator('.flash.bad').textContent()).resolves.toContain('The email or password is incorrect.');
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    expect((await context.cookies()).find((c) => c.name === 'qb_session')).toBeUndefined();

    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL('**/dashboard/calendar');
    await expect(page.locator('h1').textContent()).resolves.toBe('Calendar');
    await expect(page.locator('header .who').textContent()).resolves.toContain(EMAIL);
    // The one stylesheet applies (the CSP hash matches it).
    await expect(page.locator('header.top').evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe('rgb(18, 38, 63)');

    const cookie = (await context.cookies()).find((c) => c.name === 'qb_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
  });

  it('creates an API key, shows it once, and the key works against the API', async () => {
    await page.click('nav.main >> text=Setup → API keys');
    await page.waitForURL('**/dashboard/setup/api-keys');
    await page.fill('#key-name', 'Zapier');
    await page.click('button:has-text("Create key")');
    await expect(page.locator('h1').textContent()).resolves.toBe('Your new API key');
    key = (await page.locator('#new-api-key').textContent())!.trim();
    expect(key).toMatch(/^qbk_live_[A-Za-z0-9_-]{32}$/);
    api = apiClient(srv.url, key);

    const me = await api.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.clinic.name).toBe('Sunrise Dental');
    expect(me.body.api_key).toMatchObject({ name: 'Zapier', prefix: key.slice(0, 13) });

    // Listed by prefix only; the full key is not on the list page.
    await page.click('a:has-text("Done")');
    const row = page.locator('tr', { hasText: 'Zapier' });
    await expect(row.locator('td.mono').textContent()).resolves.toBe(`${key.slice(0, 13)}…`);
    await expect(row.locator('.badge').textContent()).resolves.toBe('active');
    expect(await page.content()).not.toContain(key);
  });

  it('creates a key with only the scopes ticked, which the API enforces', async () => {
    await page.goto('/dashboard/setup/api-keys');
    await page.fill('#key-name', 'Read-only leads');
    for (const box of await page.locator('input[name=scopes]').all()) {
      if ((await box.getAttribute('value')) !== 'leads:read') await box.uncheck();
    }
    await page.click('button:has-text("Create key")');
    const limited = apiClient(srv.url, (await page.locator('#new-api-key').textContent())!.trim());
    expect((await limited.get('/api/v1/leads')).status).toBe(200);
    const refused = await limited.get('/api/v1/availability');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
  });

  it('shows an appointment booked through the API on the calendar, with a busy block and the open slots', async () => {
    const lead = await api.post('/api/v1/leads', { full_name: 'Alex Smith', email: 'alex@example.com' });
    expect(lead.status).toBe(201);
    const slots = (await api.get('/api/v1/availability?limit=3')).body.data as Array<{ scheduled_at: string; ends_at: string }>;
    expect(slots).toHaveLength(3);
    const [slot, , blocked] = slots as [(typeof slots)[0], unknown, (typeof slots)[0]];
    const booked = await api.post('/api/v1/appointments', { lead_id: lead.body.id, ...slot, title: 'Implant consultation' });
    expect(booked.status).toBe(201);
    appointmentId = booked.body.id;
    const block = await api.post('/api/v1/availability/blocks', {
      external_source: 'google_calendar',
      external_id: 'evt_team_meeting',
      starts_at: blocked.scheduled_at,
      ends_at: blocked.ends_at,
      title: 'Team meeting',
    });
    expect(block.status).toBe(201);

    await page.click('nav.main >> text=Calendar');
    await page.goto(`/dashboard/calendar?week=${clinicDate(slot.scheduled_at)}`);
    const day = page.locator(`section.day[data-date="${clinicDate(slot.scheduled_at)}"]`);
    const appt = day.locator(`[data-appointment-id="${appointmentId}"]`);
    await expect(appt.textContent()).resolves.toContain('Implant consultation · Alex Smith');
    await expect(appt.locator('.t').textContent()).resolves.toBe(`${clinicTime(slot.scheduled_at)}–${clinicTime(slot.ends_at)}`);
    const busy = day.locator('.item.block');
    await expect(busy.textContent()).resolves.toContain('Team meeting');
    await expect(busy.locator('.t').textContent()).resolves.toBe(`${clinicTime(blocked.scheduled_at)}–${clinicTime(blocked.ends_at)}`);
    // Neither booked time is offered as open any more.
    const open = await day.locator('.item.open .t').allTextContents();
    expect(open.length).toBeGreaterThan(0);
    for (const taken of [slot, blocked]) {
      expect(open.some((t) => t.startsWith(clinicTime(taken.scheduled_at)))).toBe(false);
    }
  });

  it('lists a webhook delivery with its status, attempts and latency, and redelivers it', async () => {
    const sub = await api.post('/api/v1/webhooks', {
      url: receiver.url,
      events: ['appointment.updated', 'campaign.contact.qualified'],
    });
    expect(sub.status).toBe(201);
    expect((await api.patch(`/api/v1/appointments/${appointmentId}`, { notes: 'Bring X-rays' })).status).toBe(200);
    await receiver.waitFor(1);

    await page.click('nav.main >> text=Webhooks');
    await page.waitForURL('**/dashboard/webhooks');
    const section = page.locator(`section[data-webhook-id="${sub.body.id}"]`);
    await expect(section.locator('strong.mono').textContent()).resolves.toBe(receiver.url);
    const row = section.locator('tbody tr').first();
    await eventually(page, async () => (await row.locator('.badge').textContent()) === 'succeeded');
    await expect(row.textContent()).resolves.toContain('appointment.updated');
    await expect(row.locator('td.attempts').textContent()).resolves.toBe('1');
    await expect(row.locator('td').nth(4).textContent()).resolves.toBe('200');
    await expect(row.locator('td').nth(5).textContent()).resolves.toMatch(/^\d+ ms$/);
    const deliveryId = await row.getAttribute('data-delivery-id');
    expect(deliveryId).toBe(receiver.received[0]!.headers['webhook-id']);

    await row.locator('button:has-text("Redeliver")').click();
    await expect(page.locator('.flash.ok').textContent()).resolves.toContain('Redelivery queued');
    await receiver.waitFor(2);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(deliveryId);
    const same = page.locator(`tr[data-delivery-id="${deliveryId}"]`);
    await eventually(page, async () => (await same.locator('td.attempts').textContent()) === '2');
  });

  it('records a campaign contact outcome from the contacts page, firing its webhook', async () => {
    const contact = await api.post(`/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`, {
      name: 'Maria Lopez',
      phone: '+14155550142',
      interest: 'implants',
      city: 'Boston',
      country: 'US',
    });
    expect(contact.status).toBe(201);
    const before = receiver.received.length;

    await page.click('nav.main >> text=Campaign contacts');
    await page.click('.tabs a:has-text("Pending")');
    const row = page.locator(`tr[data-contact-id="${contact.body.id}"]`);
    await expect(row.locator('td.status .badge').first().textContent()).resolves.toBe('pending');
    await row.locator('button:has-text("Qualified")').click();
    await expect(page.locator('.flash.ok').textContent()).resolves.toBe('Outcome recorded: Qualified.');
    // It left the Pending tab and is under Qualified, with the call counted.
    expect(await page.locator(`tr[data-contact-id="${contact.body.id}"]`).count()).toBe(0);
    await page.click('.tabs a:has-text("Qualified")');
    await expect(row.locator('td.status .badge').first().textContent()).resolves.toBe('qualified');
    await expect(row.locator('td').nth(4).textContent()).resolves.toMatch(/^1/);
    await expect(row.locator('button:has-text("Qualified")').isDisabled()).resolves.toBe(true);

    // Same effect as the dev tool: the API sees it, and the webhook fired.
    const listed = await api.get('/api/v1/campaigns/contacts?status=qualified');
    expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(contact.body.id);
    const received = await receiver.waitFor(before + 1);
    const event = JSON.parse(received[before]!.body);
    expect(event.type).toBe('campaign.contact.qualified');
    expect(event.data.contact).toMatchObject({ id: contact.body.id, status: 'qualified', attempts: 1 });
  });

  it('refuses a POST without the CSRF token, or from another origin', async () => {
    await page.goto('/dashboard/setup/api-keys');
    const token = await page.locator('input[name=_csrf]').first().inputValue();
    // A real form submission from the page, with the token field removed.
    await page.fill('#key-name', 'No token');
    await page.locator('form[action="/dashboard/setup/api-keys"] input[name=_csrf]').evaluate((el) => el.remove());
    const [response] = await Promise.all([
      page.waitForResponse('**/dashboard/setup/api-keys'),
      page.click('button:has-text("Create key")'),
    ]);
    expect(response.status()).toBe(403);
    await expect(page.locator('h1').textContent()).resolves.toBe('Refused');

    // The browser's cookies, a valid token, but another site's Origin.
    const crossSite = await context.request.post('/dashboard/setup/api-keys', {
      form: { _csrf: token, name: 'Cross site', scopes: 'leads:read' },
      headers: { origin: 'https://evil.example' },
      maxRedirects: 0,
    });
    expect(crossSite.status()).toBe(403);
    // The same request from our own origin goes through: the refusals above are the guards.
    const sameSite = await context.request.post('/dashboard/setup/api-keys', {
      form: { _csrf: token, name: 'Same site', scopes: 'leads:read' },
      headers: { origin: srv.url },
      maxRedirects: 0,
    });
    expect(sameSite.status()).toBe(200);

    await page.goto('/dashboard/setup/api-keys');
    const names = await page.locator('tbody tr td:first-child').allTextContents();
    expect(names).toContain('Same site');
    expect(names).not.toContain('No token');
    expect(names).not.toContain('Cross site');
  });

  it('revokes the key, after which the API refuses it with 401', async () => {
    await page.goto('/dashboard/setup/api-keys');
    const row = page.locator('tr', { hasText: 'Zapier' });
    await row.locator('button:has-text("Revoke")').click();
    await expect(page.locator('.flash.ok').textContent()).resolves.toContain('revoked');
    await expect(row.locator('.badge').textContent()).resolves.toBe('revoked');
    expect(await row.locator('button:has-text("Revoke")').count()).toBe(0);
    // last_used_at was recorded by the API calls above.
    await expect(row.locator('td').nth(4).textContent()).resolves.not.toBe('never');

    const me = await api.get('/api/v1/me');
    expect(me.status).toBe(401);
    expect(me.body.code).toBe('unauthorized');
  });

  it('changes the password on the Account page', async () => {
    await page.click('header .who a');
    await page.waitForURL('**/dashboard/account');
    await page.fill('#current-password', PASSWORD);
    await page.fill('#new-password', NEW_PASSWORD);
    await page.fill('#confirm-password', NEW_PASSWORD);
    await page.click('button:has-text("Change password")');
    await page.waitForURL('**/dashboard/account?done=password');
    await expect(page.locator('.flash.ok').textContent()).resolves.toContain('Your password was changed.');
  });

  it('signs out: the session ends and its cookie no longer opens pages', async () => {
    const cookie = (await context.cookies()).find((c) => c.name === 'qb_session')!;
    await page.click('header .who button:has-text("Sign out")');
    await page.waitForURL('**/dashboard/login?signed_out=1');
    await expect(page.locator('.flash.ok').textContent()).resolves.toBe('You have been signed out.');
    const reused = await fetch(`${srv.url}/dashboard/calendar`, { headers: { cookie: `qb_session=${cookie.value}` }, redirect: 'manual' });
    expect(reused.status).toBe(302);
    expect(reused.headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard%2Fcalendar');
  });

  it('signs in with the new password, then signs out everywhere', async () => {
    await page.fill('#email', EMAIL);
    await page.fill('#password', NEW_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL('**/dashboard/calendar');
    const cookie = (await context.cookies()).find((c) => c.name === 'qb_session')!;
    await page.goto('/dashboard/account');
    await page.click('button:has-text("Sign out everywhere")');
    await page.waitForURL('**/dashboard/login?signed_out=everywhere');
    await expect(page.locator('.flash.ok').textContent()).resolves.toBe('You have been signed out everywhere.');
    const reused = await fetch(`${srv.url}/dashboard/calendar`, { headers: { cookie: `qb_session=${cookie.value}` }, redirect: 'manual' });
    expect(reused.status).toBe(302);
  });
});

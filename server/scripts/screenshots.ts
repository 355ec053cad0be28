/**
 * `npm run screenshots`: fills an in-memory server with a believable week (appointments, busy
 * blocks, campaign contacts, webhook deliveries that succeed and fail, API keys), signs in to the
 * dashboard in headless Chromium and writes one screenshot per page to docs/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { EVENT_TYPES } from '../../contract';
import { createClinic } from '../services/clinics';
import { createUser } from '../services/users';
import { startServer } from '../server';
import { launchChromium } from '../test/support/browser';
import { startReceiver } from '../test/support/receiver';
import { apiClient } from '../test/support/server';

const OUT = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const TIME_ZONE = 'America/New_York';
const EMAIL = 'demo@qualifybase.local';
const PASSWORD = 'screenshot-demo-password';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectStatus<T extends { status: number; body: unknown }>(res: T, status: number, what: string): T {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

/** Next Monday (clinic time) as YYYY-MM-DD, so the whole week is in the future. */
function nextMonday(): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  );
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 8 - weekday);
  return date.toISOString().slice(0, 10);
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const server = await startServer({
    config: {
      port: 0,
      host: '127.0.0.1',
      dataDir: 'memory',
      databaseUrl: undefined,
      devTools: true,
      allowPrivateWebhooks: true,
      webhookScheduleScale: 0.0005,
    },
    logger: pino({ level: 'silent' }),
    seedDemo: false,
  });
  const ok = await startReceiver();
  const failing = await startReceiver();
  failing.script(...Array.from({ length: 50 }, () => ({ status: 503 })));
  const browser = await launchChromium();
  try {
    const { db } = server.deps.database;
    const clinic = await createClinic(db, 'Demo Dental Clinic', TIME_ZONE);
    await createUser(db, clinic.clinic.id, EMAIL, PASSWORD);
    const api = apiClient(server.url, clinic.api_key);

    // Webhook subscriptions first, so the events below are delivered (one endpoint keeps failing).
    expectStatus(await api.post('/api/v1/webhooks', { url: ok.url, events: [...EVENT_TYPES] }), 201, 'subscribe');
    expectStatus(
      await api.post('/api/v1/webhooks', { url: failing.url, events: ['appointment.created', 'campaign.contact.qualified'] }),
      201,
      'subscribe',
    );

    // A week of appointments and blocks.
    const monday = nextMonday();
    const slots = expectStatus(await api.get(`/api/v1/availability?from=${monday}&limit=100`), 200, 'availability').body.data as Array<{
      scheduled_at: string;
      ends_at: string;
    }>;
    const slotAt = (i: number) => {
      const slot = slots[i];
      if (!slot) throw new Error(`availability: expected more than ${i} slots, got ${slots.length}`);
      return slot;
    };
    // Each person with the index of the slot they book.
    const people = [
      ['Alex Smith', 'Implant consultation', 2],
      ['Maria Lopez', 'Cleaning', 5],
      ['Sam Patel', 'Whitening consultation', 18],
      ['Chen Wei', 'Check-up', 23],
      ['Olivia Brown', 'Invisalign assessment', 37],
      ['Noah Wilson', 'Crown fitting', 52],
    ] as const;
    for (const [name, title, pick] of people) {
      const [firstName = name] = name.split(' ');
      const lead = expectStatus(
        await api.post('/api/v1/leads', { full_name: name, email: `${firstName.toLowerCase()}@example.com` }),
        201,
        'lead',
      );
      expectStatus(await api.post('/api/v1/appointments', { lead_id: lead.body.id, ...slotAt(pick), title }), 201, 'appointment');
    }
    for (const [n, idx, title] of [
      [1, 9, 'Staff meeting'],
      [2, 40, 'Dr. Reyes at conference'],
    ] as const) {
      const start = slotAt(idx).scheduled_at;
      const end = new Date(Date.parse(start) + (n === 2 ? 3 : 1) * 60 * 60 * 1000).toISOString();
      expectStatus(
        await api.post('/api/v1/availability/blocks', {
          external_source: 'google_calendar',
          external_id: `evt_${n}`,
          starts_at: start,
          ends_at: end,
          title,
        }),
        201,
        'block',
      );
    }

    // Campaign contacts, some with outcomes.
    const contacts = [
      ['Emma Davis', '+16175550101', 'implants', 'Boston', 'qualified'],
      ['Liam Johnson', '+16175550102', 'whitening', 'Cambridge', 'callback_requested'],
      ['Ava Martinez', '+16175550103', 'veneers', 'Somerville', 'not_interested'],
      ['Lucas Garcia', '+16175550104', 'implants', 'Quincy', null],
      ['Mia Rodriguez', '+4420795501', 'invisalign', 'Boston', null],
      ['Ethan Lee', '+16175550106', 'cleaning', 'Newton', 'exhausted'],
      ['Sophia Kim', '+16175550107', 'implants', 'Brookline', null],
    ] as const;
    for (const [i, [name, phone, interest, city, outcome]] of contacts.entries()) {
      const campaign = clinic.campaigns[i % 2]?.id;
      if (!campaign) throw new Error('expected the new clinic to have two campaigns');
      const c = expectStatus(
        await api.post(`/api/v1/campaigns/${campaign}/contacts`, { name, phone, interest, city, country: 'US' }),
        201,
        'contact',
      );
      if (outcome) expectStatus(await api.post(`/dev/campaign-contacts/${c.body.id}/outcome`, { status: outcome }), 200, 'outcome');
    }
    await ok.waitFor(12);
    await sleep(3000); // let the failing endpoint collect a few attempts

    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const shot = async (name: string) => {
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
      console.log(`wrote docs/screenshots/${name}.png`);
    };

    await page.goto('/dashboard/login');
    await page.fill('#email', EMAIL);
    await shot('login');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL('**/dashboard/calendar');

    await page.goto(`/dashboard/calendar?week=${monday}`);
    await shot('calendar');
    await page.goto('/dashboard/contacts');
    await shot('contacts');
    await page.goto('/dashboard/webhooks');
    await shot('webhooks');

    await page.goto('/dashboard/setup/api-keys');
    await page.fill('#key-name', 'Old integration');
    await page.click('button:has-text("Create key")');
    await page.goto('/dashboard/setup/api-keys');
    await page.locator('tr', { hasText: 'Old integration' }).locator('button:has-text("Revoke")').click();
    await page.fill('#key-name', 'CRM sync');
    for (const box of await page.locator('input[name=scopes]').all()) {
      if (!['leads:read', 'leads:write'].includes((await box.getAttribute('value')) ?? '')) await box.uncheck();
    }
    await page.click('button:has-text("Create key")');
    await page.goto('/dashboard/setup/api-keys');
    await page.fill('#key-name', 'Zapier');
    await page.click('button:has-text("Create key")');
    await shot('api-key-created');
    await page.goto('/dashboard/setup/api-keys');
    await shot('api-keys');
    await page.goto('/dashboard/account');
    await shot('account');
  } finally {
    await browser.close();
    await ok.close();
    await failing.close();
    await server.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

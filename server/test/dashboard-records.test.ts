/**
 * The dashboard pages a record's `url` opens, on both backends: signed in, each shows its record;
 * signed out it asks to sign in first; another clinic's record, an unknown id and a malformed one
 * are the dashboard's 404.
 */
import { createUser } from '../services/users';
import { futureMonday, slotsOfDay } from './support/booking';
import { backends } from './support/databases';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

const PASSWORD = 'a long enough password';

interface Page {
  status: number;
  location: string | null;
  text: string;
}

async function get(url: string, cookie?: string): Promise<Page> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

/** Signs in through the sign-in form and returns the session cookie. */
async function signIn(srv: TestServer, email: string): Promise<string> {
  const form = await fetch(`${srv.url}/dashboard/login`);
  const cookie = form.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${srv.url}/dashboard/login`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password: PASSWORD }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

describe.each(backends())('dashboard record pages on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let cookie: string;
  const records = {} as Record<'lead' | 'appointment' | 'contact', { id: string; url: string }>;

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Records Clinic');
    other = await srv.clinic('Other Records Clinic');
    await createUser(srv.running.deps.database.db, clinic.clinic.id, 'records@example.com', PASSWORD);
    cookie = await signIn(srv, 'records@example.com');
    const api = clinic.api;
    records.lead = (await api.post('/api/v1/leads', { full_name: 'Ada <b>Lovelace</b>', email: 'ada@example.com' })).body;
    const [slot] = await slotsOfDay(api, futureMonday(3));
    records.appointment = (await api.post('/api/v1/appointments', { lead_id: records.lead.id, ...slot!, title: 'Check-up' })).body;
    records.contact = (
      await api.post(`/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`, {
        name: 'Grace Hopper',
        phone: '+14155550199',
        interest: 'implants',
        city: 'Arlington',
      })
    ).body;
  });
  afterAll(() => srv.close());

  it("shows each record at its url to the clinic's signed-in user", async () => {
    const lead = await get(records.lead.url, cookie);
    expect(lead.status).toBe(200);
    expect(lead.text).toContain('Ada &lt;b&gt;Lovelace&lt;/b&gt;'); // escaped, never markup
    expect(lead.text).toContain('ada@example.com');
    expect(lead.text).toContain(`href="/dashboard/appointments/${records.appointment.id}"`);

    const appointment = await get(records.appointment.url, cookie);
    expect(appointment.status).toBe(200);
    expect(appointment.text).toContain('Check-up');
    expect(appointment.text).toContain(`href="/dashboard/leads/${records.lead.id}"`);

    const contact = await get(records.contact.url, cookie);
    expect(contact.status).toBe(200);
    expect(contact.text).toContain('Grace Hopper');
    expect(contact.text).toContain(clinic.campaigns[0]!.name);
  });

  it('asks a signed-out visitor to sign in first, and comes back to the record', async () => {
    const path = new URL(records.lead.url).pathname;
    const res = await get(records.lead.url);
    expect(res.status).toBe(302);
    expect(res.location).toBe(`/dashboard/login?next=${encodeURIComponent(path)}`);
  });

  it("answers another clinic's record, an unknown id and a malformed id with the dashboard's 404", async () => {
    const foreignLead = (await other.api.post('/api/v1/leads', { email: 'foreign@example.com' })).body;
    const foreignContact = (
      await other.api.post(`/api/v1/campaigns/${other.campaigns[0]!.id}/contacts`, {
        name: 'Not Yours',
        phone: '+14155550198',
        interest: 'implants',
        city: 'Elsewhere',
      })
    ).body;
    for (const url of [
      foreignLead.url,
      foreignContact.url,
      `${srv.url}/dashboard/appointments/00000000-0000-4000-8000-000000000000`,
      `${srv.url}/dashboard/leads/not-a-uuid`,
    ]) {
      const res = await get(url, cookie);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
      expect(res.text).toContain('Not found');
      expect(res.text).not.toContain('foreign@example.com');
    }
  });
});

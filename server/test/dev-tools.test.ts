/**
 * Dev tools: POST /dev/campaign-contacts/{id}/outcome (the AI agent's call outcome, which fires
 * the matching campaign.contact.* event) and POST /dev/clinics; both off in production.
 */
import { Agent, CampaignContact, CONTACT_OUTCOMES, EventEnvelope, SCOPES } from '../../contract';
import { backends } from './support/databases';
import { tableCounts } from './support/db-counts';
import { clientWithScopes } from './support/guards';
import { rawRequest, startTestServer, type TestClinic, type TestServer } from './support/server';

const contactBody = { name: 'Alex Smith', phone: '+14155551212', interest: 'implants', city: 'San Francisco' };

describe.each(backends())('dev tools on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  const db = () => srv.running.deps.database.db;
  const newContact = async (): Promise<CampaignContact> =>
    CampaignContact.parse((await clinic.api.post(`/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`, contactBody)).body);
  const outcome = (id: string, body: unknown, api = clinic.api) => api.post(`/dev/campaign-contacts/${id}/outcome`, body);
  const eventsFor = async (contactId: string) =>
    (await db().selectFrom('webhook_events').selectAll().where('clinic_id', '=', clinic.clinic.id).orderBy('created_at').execute())
      .map((row) => ({ row, envelope: EventEnvelope.parse(JSON.parse(row.payload)) }))
      .filter(({ envelope }) => (envelope.data as { contact?: { id: string } }).contact?.id === contactId);

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Outcome Clinic');
    other = await srv.clinic('Other Clinic');
  });
  afterAll(() => srv.close());

  describe('POST /dev/campaign-contacts/{id}/outcome', () => {
    it.each(CONTACT_OUTCOMES)(
      'records %s: status, one more attempt, timestamps, and the matching event in webhook_events',
      async (status) => {
        const contact = await newContact();
        const res = await outcome(contact.id, { status });
        expect(res.status).toBe(200);
        const updated = CampaignContact.parse(res.body);
        expect(updated).toEqual({ ...contact, status, attempts: 1, last_attempt_at: expect.any(String), updated_at: expect.any(String) });
        expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(contact.updated_at));
        expect(updated.last_attempt_at).toBe(updated.updated_at);
        const events = await eventsFor(contact.id);
        expect(events).toHaveLength(1);
        expect(events[0]!.row.type).toBe(`campaign.contact.${status}`);
        expect(events[0]!.envelope).toMatchObject({ id: expect.stringMatching(/^evt_/), type: `campaign.contact.${status}` });
        // The event carries the contact exactly as the API returns it.
        expect(events[0]!.envelope.data).toEqual({ contact: updated });
        const listed = (await clinic.api.get(`/api/v1/campaigns/contacts?status=${status}`)).body.data;
        expect(listed.find((c: CampaignContact) => c.id === contact.id)).toEqual(updated);
      },
    );

    it('counts every attempt and fires one event per outcome', async () => {
      const contact = await newContact();
      await outcome(contact.id, { status: 'callback_requested' });
      const second = await outcome(contact.id, { status: 'qualified' });
      expect(second.body).toMatchObject({ status: 'qualified', attempts: 2 });
      expect((await eventsFor(contact.id)).map((e) => e.row.type)).toEqual([
        'campaign.contact.callback_requested',
        'campaign.contact.qualified',
      ]);
    });

    it.each([
      ['a status that is not an outcome', { status: 'pending' }, 'status'],
      ['an unknown status', { status: 'maybe' }, 'status'],
      ['no status', {}, 'status'],
      ['an extra field', { status: 'qualified', attempts: 9 }, ''],
    ])('refuses %s with 400 and changes nothing', async (_name, body, path) => {
      const contact = await newContact();
      const before = await tableCounts(srv.running.deps.database);
      const res = await outcome(contact.id, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_input');
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
      expect(await tableCounts(srv.running.deps.database)).toEqual(before);
      expect((await clinic.api.get('/api/v1/campaigns/contacts')).body.data.find((c: CampaignContact) => c.id === contact.id)).toEqual(
        contact,
      );
    });

    it('refuses a malformed JSON body and an id that is not a UUID with 400', async () => {
      const contact = await newContact();
      const bad = await clinic.api.request('POST', `/dev/campaign-contacts/${contact.id}/outcome`, '{"status":');
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('invalid_input');
      const id = await outcome('contact-1', { status: 'qualified' });
      expect(id.status).toBe(400);
      expect(id.body.details.map((d: { path: string }) => d.path)).toContain('id');
    });

    it("answers 404 for another clinic's contact and for an unknown id, and records no event", async () => {
      const contact = await newContact();
      const before = await tableCounts(srv.running.deps.database);
      const theirs = await outcome(contact.id, { status: 'qualified' }, other.api);
      expect(theirs.status).toBe(404);
      expect(theirs.body.code).toBe('not_found');
      expect((await outcome('00000000-0000-4000-8000-000000000000', { status: 'qualified' })).status).toBe(404);
      expect(await tableCounts(srv.running.deps.database)).toEqual(before);
      expect(await eventsFor(contact.id)).toEqual([]);
    });

    it('needs the Bearer key of the clinic: 401 without one, with an unknown one, or with the key in the query string', async () => {
      const contact = await newContact();
      const none = await rawRequest(srv.url, 'POST', `/dev/campaign-contacts/${contact.id}/outcome`, { status: 'qualified' });
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('unauthorized');
      expect((await outcome(contact.id, { status: 'qualified' }, srv.client('qbk_live_nope'))).status).toBe(401);
      const query = await rawRequest(srv.url, 'POST', `/dev/campaign-contacts/${contact.id}/outcome?api_key=${clinic.api_key}`, {
        status: 'qualified',
      });
      expect(query.status).toBe(401);
      expect(query.body.error).toMatch(/Authorization header/);
      expect(await eventsFor(contact.id)).toEqual([]);
    });

    it('refuses a key without campaigns:write with 403 insufficient_scope: nothing changes, no event, no delivery', async () => {
      const contact = await newContact();
      await clinic.api.post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['campaign.contact.not_interested'] });
      const before = await tableCounts(srv.running.deps.database);
      const readOnly = await clientWithScopes(srv, clinic.clinic.id, ['leads:read']);
      const allButCampaignsWrite = await clientWithScopes(
        srv,
        clinic.clinic.id,
        SCOPES.filter((s) => s !== 'campaigns:write'),
      );
      const keysMade = 2;
      for (const api of [readOnly, allButCampaignsWrite]) {
        const res = await outcome(contact.id, { status: 'not_interested' }, api);
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ code: 'insufficient_scope', error: expect.stringContaining('campaigns:write') });
      }
      const after = await tableCounts(srv.running.deps.database);
      expect(after).toEqual({ ...before, api_keys: before.api_keys! + keysMade });
      expect(await eventsFor(contact.id)).toEqual([]);
      expect((await clinic.api.get('/api/v1/campaigns/contacts')).body.data.find((c: CampaignContact) => c.id === contact.id)).toEqual(
        contact,
      );
    });

    it('accepts a key with campaigns:write (and counts it against the key like any API call)', async () => {
      const contact = await newContact();
      const writer = await clientWithScopes(srv, clinic.clinic.id, ['campaigns:write']);
      const res = await outcome(contact.id, { status: 'not_interested' }, writer);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toMatch(/^"default";r=\d+;t=\d+$/);
    });
  });

  describe('JSON bodies only', () => {
    it.each([
      ['text/plain', '{"name":"Cross Site","timezone":"UTC"}'],
      ['application/x-www-form-urlencoded', 'name=Cross+Site&timezone=UTC'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nX\r\n--x--\r\n'],
      ['', '{"name":"Cross Site","timezone":"UTC"}'],
    ])('refuses POST /dev/clinics sent as %p (what a cross-site form can send) with 415, creating nothing', async (type, body) => {
      const before = await tableCounts(srv.running.deps.database);
      const res = await fetch(`${srv.url}/dev/clinics`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ code: 'invalid_input', error: expect.stringContaining('application/json') });
      expect(await tableCounts(srv.running.deps.database)).toEqual(before);
    });

    it('refuses a text/plain outcome with 415 and changes nothing', async () => {
      const contact = await newContact();
      const res = await clinic.api.request('POST', `/dev/campaign-contacts/${contact.id}/outcome`, '{"status":"qualified"}', {
        'content-type': 'text/plain',
      });
      expect(res.status).toBe(415);
      expect(await eventsFor(contact.id)).toEqual([]);
    });
  });

  describe('POST /dev/clinics', () => {
    it('creates a ready clinic: key, one inbound and one outbound agent, two active campaigns', async () => {
      const res = await rawRequest(srv.url, 'POST', '/dev/clinics', { name: 'Acme Dental', timezone: 'America/New_York' });
      expect(res.status).toBe(201);
      expect(res.body.clinic).toEqual({ id: expect.any(String), name: 'Acme Dental', timezone: 'America/New_York' });
      expect(res.body.api_key).toMatch(/^qbk_live_/);
      expect(res.body.agents.map((a: Agent) => Agent.parse(a).direction).sort()).toEqual(['inbound', 'outbound']);
      expect(res.body.campaigns).toHaveLength(2);
      expect((await srv.client(res.body.api_key).get('/api/v1/me')).body.clinic.id).toBe(res.body.clinic.id);
      const hours = await db().selectFrom('opening_hours').selectAll().where('clinic_id', '=', res.body.clinic.id).execute();
      expect(hours.map((h) => h.weekday).sort()).toEqual([1, 2, 3, 4, 5]);
    });

    it.each([
      ['an unknown time zone', { name: 'X', timezone: 'Mars/Olympus' }],
      ['no name', { timezone: 'UTC' }],
      ['an unknown field', { name: 'X', timezone: 'UTC', plan: 'gold' }],
    ])('refuses %s with 400', async (_name, body) => {
      const res = await rawRequest(srv.url, 'POST', '/dev/clinics', body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_input');
    });
  });

  it('dev tools are off when QB_DEV_TOOLS is not 1, and never in the OpenAPI document', async () => {
    const prod = await startTestServer(backend, { devTools: false, allowPrivateWebhooks: false, runWorker: false });
    try {
      expect((await rawRequest(prod.url, 'POST', '/dev/clinics', { name: 'X', timezone: 'UTC' })).status).toBe(404);
      const contact = await newContact();
      expect((await rawRequest(prod.url, 'POST', `/dev/campaign-contacts/${contact.id}/outcome`, { status: 'qualified' })).status).toBe(
        404,
      );
    } finally {
      await prod.close();
    }
    const doc = (await rawRequest(srv.url, 'GET', '/api/v1/openapi.json')).body;
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dev'))).toEqual([]);
  });
});

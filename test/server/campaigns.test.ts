/** Agents, campaigns, campaign contacts and the outcome dev tool. */
import { Agent, Campaign, CampaignContact } from '../../contract';
import { backends } from '../support/databases';
import { rawRequest, startTestServer, type TestClinic, type TestServer } from '../support/server';

describe.each(backends())('agents, campaigns and contacts on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  const contactBody = { name: 'Alex Smith', phone: '+14155551212', interest: 'implants', city: 'San Francisco', country: 'US', email: 'alex@example.com' };

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic('Campaign Clinic');
    other = await srv.clinic('Other Clinic');
  });
  afterAll(() => srv.close());

  it('lists agents, filtered by direction', async () => {
    const all = await clinic.api.get('/api/v1/agents');
    expect(all.status).toBe(200);
    expect(all.body.meta.total).toBe(2);
    all.body.data.forEach((a: unknown) => Agent.parse(a));
    const outbound = await clinic.api.get('/api/v1/agents?direction=outbound');
    expect(outbound.body.data.map((a: Agent) => a.direction)).toEqual(['outbound']);
    expect((await clinic.api.get('/api/v1/agents?direction=sideways')).status).toBe(400);
  });

  it('lists campaigns with contact counts', async () => {
    const res = await clinic.api.get('/api/v1/campaigns');
    expect(res.status).toBe(200);
    expect(res.body.meta).toEqual({ page: 1, per_page: 25, total: 2 });
    const campaign = Campaign.parse(res.body.data[0]);
    expect(campaign.status).toBe('active');
    expect(campaign.total_contacts).toBe(0);
  });

  it('adds a contact with the seed example body and counts it', async () => {
    const campaign = clinic.campaigns[0]!;
    const res = await clinic.api.post(`/api/v1/campaigns/${campaign.id}/contacts`, contactBody);
    expect(res.status).toBe(201);
    const contact = CampaignContact.parse(res.body);
    expect(contact).toMatchObject({ ...contactBody, campaign_id: campaign.id, status: 'pending', attempts: 0, last_attempt_at: null, validation_status: 'valid', validation_messages: [] });
    const campaigns = await clinic.api.get('/api/v1/campaigns');
    expect(campaigns.body.data.find((c: Campaign) => c.id === campaign.id).total_contacts).toBe(1);
  });

  it('flags a contact whose phone contradicts its country as needs_review', async () => {
    const res = await clinic.api.post(`/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`, { ...contactBody, phone: '+442071838750', country: 'US' });
    expect(res.status).toBe(201);
    expect(res.body.validation_status).toBe('needs_review');
    expect(res.body.validation_messages[0]).toMatch(/calling code/);
  });

  it.each([
    ['a missing city', { ...contactBody, city: undefined }, 'city'],
    ['a phone that is not E.164', { ...contactBody, phone: '4155551212' }, 'phone'],
    ['an empty name', { ...contactBody, name: '  ' }, 'name'],
    ['a bad country', { ...contactBody, country: 'USA' }, 'country'],
  ])('refuses %s with 400', async (_name, body, path) => {
    const res = await clinic.api.post(`/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`, body);
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("answers 404 for another clinic's campaign and refuses an inactive one", async () => {
    const res = await clinic.api.post(`/api/v1/campaigns/${other.campaigns[0]!.id}/contacts`, contactBody);
    expect(res.status).toBe(404);
    expect((await other.api.get('/api/v1/campaigns')).body.data.every((c: Campaign) => c.total_contacts === 0)).toBe(true);
    await srv.running.deps.database.db.updateTable('campaigns').set({ status: 'paused' }).where('id', '=', clinic.campaigns[1]!.id).execute();
    const paused = await clinic.api.post(`/api/v1/campaigns/${clinic.campaigns[1]!.id}/contacts`, contactBody);
    expect(paused.status).toBe(400);
    expect(paused.body.error).toMatch(/paused/);
  });

  it('records outcomes through the dev tool, fires the event, and lists contacts by status, freshest first', async () => {
    const campaignId = clinic.campaigns[0]!.id;
    const a = (await clinic.api.post(`/api/v1/campaigns/${campaignId}/contacts`, { ...contactBody, name: 'A' })).body;
    const b = (await clinic.api.post(`/api/v1/campaigns/${campaignId}/contacts`, { ...contactBody, name: 'B' })).body;
    const outcome = await clinic.api.post(`/dev/campaign-contacts/${a.id}/outcome`, { status: 'qualified' });
    expect(outcome.status).toBe(200);
    expect(outcome.body).toMatchObject({ id: a.id, status: 'qualified', attempts: 1, last_attempt_at: expect.any(String) });
    await clinic.api.post(`/dev/campaign-contacts/${b.id}/outcome`, { status: 'qualified' });
    const qualified = await clinic.api.get('/api/v1/campaigns/contacts?status=qualified');
    expect(qualified.body.data.map((c: CampaignContact) => c.id)).toEqual([b.id, a.id]);
    expect((await clinic.api.get(`/api/v1/campaigns/contacts?campaign_id=${campaignId}`)).body.meta.total).toBeGreaterThanOrEqual(4);
    expect((await clinic.api.get(`/api/v1/campaigns/contacts?campaign_id=${other.campaigns[0]!.id}`)).body.meta.total).toBe(0);
    const rows = await srv.running.deps.database.db.selectFrom('webhook_events').selectAll().where('type', '=', 'campaign.contact.qualified').execute();
    expect(rows.map((r) => JSON.parse(r.payload).data.contact.id).sort()).toEqual([a.id, b.id].sort());
    expect((await clinic.api.get('/api/v1/campaigns/contacts?status=won')).status).toBe(400);
  });

  it('guards the outcome dev tool like the API', async () => {
    const contact = (await clinic.api.post(`/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`, contactBody)).body;
    expect((await rawRequest(srv.url, 'POST', `/dev/campaign-contacts/${contact.id}/outcome`, { status: 'qualified' })).status).toBe(401);
    expect((await other.api.post(`/dev/campaign-contacts/${contact.id}/outcome`, { status: 'qualified' })).status).toBe(404);
    expect((await clinic.api.post(`/dev/campaign-contacts/${contact.id}/outcome`, { status: 'maybe' })).status).toBe(400);
    expect((await clinic.api.post('/dev/campaign-contacts/not-a-uuid/outcome', { status: 'qualified' })).status).toBe(400);
  });

  it('dev clinics: validates the body and the time zone', async () => {
    expect((await rawRequest(srv.url, 'POST', '/dev/clinics', { name: 'X', timezone: 'Mars/Olympus' })).status).toBe(400);
    expect((await rawRequest(srv.url, 'POST', '/dev/clinics', { timezone: 'UTC' })).status).toBe(400);
    const ok = await rawRequest(srv.url, 'POST', '/dev/clinics', { name: 'Acme Dental', timezone: 'America/New_York' });
    expect(ok.status).toBe(201);
    expect(ok.body.api_key).toMatch(/^qbk_live_/);
    expect(ok.body.agents.map((a: Agent) => a.direction).sort()).toEqual(['inbound', 'outbound']);
    expect(ok.body.campaigns).toHaveLength(2);
  });

  it('dev tools are off in production', async () => {
    const prod = await startTestServer(backend, { devTools: false });
    try {
      expect((await rawRequest(prod.url, 'POST', '/dev/clinics', { name: 'X', timezone: 'UTC' })).status).toBe(404);
    } finally {
      await prod.close();
    }
  });
});

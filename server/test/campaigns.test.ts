/** GET /api/v1/campaigns: contact counts, newest first, pagination, auth and scope, isolation. */
import { Campaign, listOf } from '../../contract';
import { backends } from './support/databases';
import { expectGuarded, openApiOperation } from './support/guards';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

const CampaignList = listOf(Campaign, 'CampaignList');
const contact = { name: 'Alex Smith', phone: '+14155551212', interest: 'implants', city: 'San Francisco' };

describe.each(backends())('campaigns on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let newest: Campaign;

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Campaign Clinic');
    other = await srv.clinic('Other Clinic');
    const row = await srv.running.deps.database.db
      .insertInto('campaigns')
      .values({
        clinic_id: clinic.clinic.id,
        name: 'Newest',
        status: 'paused',
        target_country: 'GB',
        created_at: new Date(Date.now() + 60_000),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    newest = {
      id: row.id,
      name: 'Newest',
      status: 'paused',
      agent_id: null,
      agent_name: null,
      target_country: 'GB',
      total_contacts: 0,
      created_at: row.created_at.toISOString(),
    };
  });
  afterAll(() => srv.close());

  it('lists the campaigns newest first with total_contacts', async () => {
    const res = await clinic.api.get('/api/v1/campaigns');
    expect(res.status).toBe(200);
    const list = CampaignList.parse(res.body);
    expect(list.meta).toEqual({ page: 1, per_page: 25, total: 3 });
    expect(list.data[0]).toEqual(newest);
    expect(
      list.data
        .slice(1)
        .map((c) => c.id)
        .sort(),
    ).toEqual(clinic.campaigns.map((c) => c.id).sort());
    for (const c of list.data.slice(1)) expect(c).toMatchObject({ status: 'active', total_contacts: 0 });
  });

  it('counts every contact of each campaign, whatever its status, and only its own', async () => {
    const [first, second] = clinic.campaigns;
    for (let i = 0; i < 3; i++) expect((await clinic.api.post(`/api/v1/campaigns/${first!.id}/contacts`, contact)).status).toBe(201);
    const one = await clinic.api.post(`/api/v1/campaigns/${second!.id}/contacts`, contact);
    expect((await clinic.api.post(`/dev/campaign-contacts/${one.body.id}/outcome`, { status: 'exhausted' })).status).toBe(200);
    await other.api.post(`/api/v1/campaigns/${other.campaigns[0]!.id}/contacts`, contact);
    const counts = Object.fromEntries(
      CampaignList.parse((await clinic.api.get('/api/v1/campaigns')).body).data.map((c) => [c.id, c.total_contacts]),
    );
    expect(counts).toEqual({ [first!.id]: 3, [second!.id]: 1, [newest.id]: 0 });
  });

  it('paginates with page and per_page', async () => {
    const page1 = CampaignList.parse((await clinic.api.get('/api/v1/campaigns?per_page=2')).body);
    const page2 = CampaignList.parse((await clinic.api.get('/api/v1/campaigns?per_page=2&page=2')).body);
    expect(page1.meta).toEqual({ page: 1, per_page: 2, total: 3 });
    expect(page2.meta).toEqual({ page: 2, per_page: 2, total: 3 });
    expect(page1.data[0]!.id).toBe(newest.id);
    expect(page2.data).toHaveLength(1);
    const ids = [...page1.data, ...page2.data].map((c) => c.id);
    expect(new Set(ids).size).toBe(3);
  });

  it.each([
    ['page 0', 'page=0', 'page'],
    ['per_page 0', 'per_page=0', 'per_page'],
    ['per_page over 100', 'per_page=500', 'per_page'],
  ])('refuses %s with 400 invalid_input', async (_name, query, path) => {
    const res = await clinic.api.get(`/api/v1/campaigns?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_input');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("never lists another clinic's campaigns", async () => {
    const theirs = CampaignList.parse((await other.api.get('/api/v1/campaigns')).body);
    expect(theirs.meta.total).toBe(2);
    expect(theirs.data.map((c) => c.id)).not.toContain(newest.id);
    const mine = JSON.stringify((await clinic.api.get('/api/v1/campaigns')).body);
    for (const c of other.campaigns) expect(mine).not.toContain(c.id);
  });

  it('answers 401 without a valid key and 403 without campaigns:read', async () => {
    await expectGuarded(srv, clinic.clinic.id, { method: 'GET', path: '/api/v1/campaigns', scope: 'campaigns:read' });
  });

  it('is in the OpenAPI document with its scope', async () => {
    const op = await openApiOperation(srv, 'get', '/api/v1/campaigns');
    expect(op.operationId).toBe('listCampaigns');
    expect(op.description).toContain('campaigns:read');
    expect(op.description).toContain('total_contacts');
  });
});

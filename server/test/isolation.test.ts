/**
 * Tenant isolation matrix: every endpoint that takes an id, driven from the OpenAPI document,
 * called by clinic A with clinic B's ids, answers 404 (or an empty list) and changes nothing.
 */
import { backends } from './support/databases';
import { tableCounts } from './support/db-counts';
import { rawRequest, startTestServer, type TestClinic, type TestServer } from './support/server';

describe.each(backends())('tenant isolation on %s', (backend) => {
  let srv: TestServer;
  let a: TestClinic;
  let b: TestClinic;
  const ids: Record<string, string> = {};
  const operations: Array<{ method: string; path: string }> = [];

  beforeAll(async () => {
    // No delivery worker: its background attempts would change row counts under the test.
    srv = await startTestServer(backend, { runWorker: false });
    a = await srv.clinic('Clinic A');
    b = await srv.clinic('Clinic B');
    // Clinic B owns one of everything.
    ids.lead = (await b.api.post('/api/v1/leads', { email: 'b@example.com' })).body.id;
    const [slot] = (await b.api.get('/api/v1/availability?limit=1')).body.data;
    ids.appointment = (await b.api.post('/api/v1/appointments', { lead_id: ids.lead, ...slot })).body.id;
    ids.campaign = b.campaigns[0]!.id;
    ids.contact = (
      await b.api.post(`/api/v1/campaigns/${ids.campaign}/contacts`, { name: 'B', phone: '+14155550199', interest: 'x', city: 'y' })
    ).body.id;
    ids.webhook = (await b.api.post('/api/v1/webhooks', { url: 'https://example.com/b', events: ['lead.updated'] })).body.id;
    await b.api.patch(`/api/v1/leads/${ids.lead}`, { city: 'B-town' });
    ids.delivery = (
      await srv.running.deps.database.db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('webhook_id', '=', ids.webhook)
        .executeTakeFirstOrThrow()
    ).id;
    ids.agent = b.agents.find((x) => x.direction === 'outbound')!.id;
    const doc = (await rawRequest(srv.url, 'GET', '/api/v1/openapi.json')).body;
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(item)) if (path.includes('{')) operations.push({ method: method.toUpperCase(), path });
    }
  });
  afterAll(() => srv.close());

  /** The id of clinic B's resource that a path's parameter names. */
  function fill(path: string): string {
    return path
      .replace(/\/leads\/\{id\}/, `/leads/${ids.lead}`)
      .replace(/\/appointments\/\{id\}/, `/appointments/${ids.appointment}`)
      .replace(/\/campaigns\/\{id\}/, `/campaigns/${ids.campaign}`)
      .replace(/\/webhooks\/\{id\}/, `/webhooks/${ids.webhook}`)
      .replace('{delivery_id}', ids.delivery!)
      .replace('{contact_id}', ids.contact!);
  }

  it('covers every id-taking endpoint of the API', () => {
    expect(operations.length).toBeGreaterThanOrEqual(9);
    for (const op of operations) expect(fill(op.path)).not.toMatch(/\{/);
  });

  it("answers 404 not_found to every id-taking endpoint called with another clinic's ids, and writes nothing", async () => {
    const bodies: Record<string, unknown> = {
      'PATCH /api/v1/leads/{id}': { city: 'Hijacked' },
      'PATCH /api/v1/appointments/{id}': { notes: 'hijacked' },
      'POST /api/v1/campaigns/{id}/contacts': { name: 'A', phone: '+14155550100', interest: 'x', city: 'y' },
    };
    const before = await tableCounts(srv.running.deps.database);
    const snapshot =
      JSON.stringify(await b.api.get(`/api/v1/leads/${ids.lead}`)) +
      JSON.stringify(await b.api.get(`/api/v1/appointments/${ids.appointment}`));
    for (const op of operations) {
      const res = await a.api.request(
        op.method,
        fill(op.path),
        bodies[`${op.method} ${op.path}`] ?? (op.method === 'GET' || op.method === 'DELETE' ? undefined : {}),
      );
      expect({ op: `${op.method} ${op.path}`, status: res.status, code: res.body?.code }).toEqual({
        op: `${op.method} ${op.path}`,
        status: 404,
        code: 'not_found',
      });
      expect(JSON.stringify(res.body)).not.toContain(ids.lead!);
    }
    expect((await a.api.post(`/dev/campaign-contacts/${ids.contact}/outcome`, { status: 'qualified' })).status).toBe(404);
    expect(await tableCounts(srv.running.deps.database)).toEqual(before);
    const after =
      JSON.stringify(await b.api.get(`/api/v1/leads/${ids.lead}`)) +
      JSON.stringify(await b.api.get(`/api/v1/appointments/${ids.appointment}`));
    expect(after.replace(/"ratelimit":"[^"]*"/gi, '')).toBe(snapshot.replace(/"ratelimit":"[^"]*"/gi, ''));
  });

  it("never lists another clinic's rows, whatever the filters", async () => {
    for (const path of [
      '/api/v1/leads',
      `/api/v1/leads?agent_id=${ids.agent}`,
      '/api/v1/leads?search=b%40example.com',
      `/api/v1/appointments?lead_id=${ids.lead}`,
      `/api/v1/campaigns/contacts?campaign_id=${ids.campaign}`,
      '/api/v1/webhooks',
    ]) {
      const res = await a.api.get(path);
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body.data);
      for (const id of Object.values(ids)) expect(text).not.toContain(id);
    }
    const campaigns = JSON.stringify((await a.api.get('/api/v1/campaigns')).body);
    const agents = JSON.stringify((await a.api.get('/api/v1/agents')).body);
    expect(campaigns).not.toContain(ids.campaign);
    expect(agents).not.toContain(ids.agent);
  });

  it("does not let another clinic's busy time leak into availability", async () => {
    const [bSlot] = (await b.api.get('/api/v1/availability?limit=1')).body.data;
    const aSlots = (await a.api.get('/api/v1/availability?limit=20')).body.data.map((s: { scheduled_at: string }) => s.scheduled_at);
    const bAppt = (await b.api.get(`/api/v1/appointments/${ids.appointment}`)).body;
    expect(bSlot.scheduled_at).not.toBe(bAppt.scheduled_at);
    expect(aSlots).toContain(bAppt.scheduled_at); // B's booking does not make A busy
  });
});

/** GET /api/v1/agents: direction filter, newest first, pagination, auth and scope, isolation. */
import { Agent, listOf } from '../../contract';
import { backends } from './support/databases';
import { expectGuarded, openApiOperation } from './support/guards';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

const AgentList = listOf(Agent, 'AgentList');

describe.each(backends())('agents on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let extra: Agent[];

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Agent Clinic');
    other = await srv.clinic('Other Clinic');
    // Three more agents with distinct, later creation times: the newest is the last one.
    const db = srv.running.deps.database.db;
    extra = [];
    for (const [i, direction] of (['outbound', 'inbound', 'outbound'] as const).entries()) {
      const row = await db
        .insertInto('agents')
        .values({ clinic_id: clinic.clinic.id, name: `Extra ${i}`, direction, created_at: new Date(Date.now() + (i + 1) * 60_000) })
        .returningAll()
        .executeTakeFirstOrThrow();
      extra.push({ id: row.id, name: row.name, direction: row.direction as Agent['direction'], created_at: row.created_at.toISOString() });
    }
  });
  afterAll(() => srv.close());

  it('lists the clinic agents newest first, as the contract describes them', async () => {
    const res = await clinic.api.get('/api/v1/agents');
    expect(res.status).toBe(200);
    const list = AgentList.parse(res.body);
    expect(list.meta).toEqual({ page: 1, per_page: 25, total: 5 });
    expect(list.data.slice(0, 3)).toEqual([extra[2], extra[1], extra[0]]);
    expect(
      list.data
        .slice(3)
        .map((a) => a.id)
        .sort(),
    ).toEqual(clinic.agents.map((a) => a.id).sort());
    const times = list.data.map((a) => Date.parse(a.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('filters by direction', async () => {
    const outbound = AgentList.parse((await clinic.api.get('/api/v1/agents?direction=outbound')).body);
    expect(outbound.meta.total).toBe(3);
    expect(outbound.data.every((a) => a.direction === 'outbound')).toBe(true);
    expect(outbound.data[0]!.id).toBe(extra[2]!.id);
    const inbound = AgentList.parse((await clinic.api.get('/api/v1/agents?direction=inbound')).body);
    expect(inbound.data.map((a) => a.direction)).toEqual(['inbound', 'inbound']);
  });

  it('paginates with page and per_page', async () => {
    const page1 = AgentList.parse((await clinic.api.get('/api/v1/agents?per_page=2')).body);
    const page3 = AgentList.parse((await clinic.api.get('/api/v1/agents?per_page=2&page=3')).body);
    expect(page1.meta).toEqual({ page: 1, per_page: 2, total: 5 });
    expect(page1.data.map((a) => a.id)).toEqual([extra[2]!.id, extra[1]!.id]);
    expect(page3.meta).toEqual({ page: 3, per_page: 2, total: 5 });
    expect(page3.data).toHaveLength(1);
    const beyond = AgentList.parse((await clinic.api.get('/api/v1/agents?page=9')).body);
    expect(beyond).toEqual({ data: [], meta: { page: 9, per_page: 25, total: 5 } });
  });

  it.each([
    ['an unknown direction', 'direction=sideways', 'direction'],
    ['page 0', 'page=0', 'page'],
    ['per_page over 100', 'per_page=101', 'per_page'],
    ['a fractional per_page', 'per_page=2.5', 'per_page'],
    ['a non-numeric page', 'page=two', 'page'],
  ])('refuses %s with 400 invalid_input', async (_name, query, path) => {
    const res = await clinic.api.get(`/api/v1/agents?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_input');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("never lists another clinic's agents", async () => {
    const mine = JSON.stringify((await clinic.api.get('/api/v1/agents?per_page=100')).body);
    for (const agent of other.agents) expect(mine).not.toContain(agent.id);
    const theirs = AgentList.parse((await other.api.get('/api/v1/agents')).body);
    expect(theirs.meta.total).toBe(2);
  });

  it('answers 401 without a valid key and 403 without agents:read', async () => {
    await expectGuarded(srv, clinic.clinic.id, { method: 'GET', path: '/api/v1/agents', scope: 'agents:read' });
  });

  it('is in the OpenAPI document with its scope and the direction filter', async () => {
    const op = await openApiOperation(srv, 'get', '/api/v1/agents');
    expect(op.operationId).toBe('listAgents');
    expect(op.description).toContain('agents:read');
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['direction', 'page', 'per_page']));
    expect(op.responses['403']).toBeDefined();
  });
});

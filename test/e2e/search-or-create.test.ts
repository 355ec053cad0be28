/** "Find or Create Lead" (find_lead + lead) end to end against the reference server. */
import { Lead } from '../../contract/resources';
import { startTestServer, type TestClinic, type TestServer } from '../../server/test/support/server';
import { app, appError, run, searchOrCreate } from './zap';

describe('e2e: Find or Create Lead against the reference server', () => {
  let srv: TestServer;
  let clinic: TestClinic;
  let savedHost: string | undefined;

  beforeAll(async () => {
    srv = await startTestServer('pglite');
    savedHost = process.env.QB_HOST;
    process.env.QB_HOST = srv.url;
    clinic = await srv.clinic('Search Or Create Clinic');
  });
  afterAll(async () => {
    if (savedHost === undefined) delete process.env.QB_HOST;
    else process.env.QB_HOST = savedHost;
    await srv?.close();
  });

  const leadTotal = async () => (await clinic.api.get('/api/v1/leads?per_page=1')).body.meta.total as number;

  it('misses, then creates; then hits and creates nothing', async () => {
    const input = {
      email: 'casey@example.com',
      full_name: 'Casey Jones',
      phone: '+14155550199',
      source: 'website',
      agent_id: clinic.agents.find((a) => a.direction === 'outbound')!.id,
      external_metadata: { form: 'contact_us' },
    };
    expect(await leadTotal()).toBe(0);

    const first = await searchOrCreate('find_lead', clinic.api_key, input);
    expect(first.created).toBe(true);
    const lead = Lead.parse(first.result);
    expect(lead).toMatchObject({
      email: 'casey@example.com',
      full_name: 'Casey Jones',
      source: 'website',
      agent_id: input.agent_id,
      external_metadata: { form: 'contact_us' },
    });
    expect(await leadTotal()).toBe(1);

    const second = await searchOrCreate('find_lead', clinic.api_key, input);
    expect(second.created).toBe(false);
    expect(second.result.id).toBe(lead.id);
    expect(await leadTotal()).toBe(1);

    // Found by phone too, and by nothing else once the criteria do not match.
    await expect(run(app.searches.find_lead.operation.perform, clinic.api_key, { inputData: { phone: '+14155550199' } })).resolves.toEqual([
      first.result,
    ]);
    await expect(
      run(app.searches.find_lead.operation.perform, clinic.api_key, { inputData: { email: 'someone-else@example.com' } }),
    ).resolves.toEqual([]);
  });

  it('finds by external source + id, and re-running the create with that pair updates the same lead', async () => {
    const input = {
      external_source: 'facebook_lead_ads',
      external_id: 'fb_lead_555',
      phone: '+14155550142',
      full_name: 'Dana Ruiz',
      treatment_interest: 'whitening',
    };
    const before = await leadTotal();
    const miss = await searchOrCreate('find_lead', clinic.api_key, input);
    expect(miss.created).toBe(true);
    expect(await leadTotal()).toBe(before + 1);

    const hit = await searchOrCreate('find_lead', clinic.api_key, { ...input, phone: '' });
    expect(hit).toEqual({ created: false, result: miss.result });

    // The create alone is idempotent on the pair: same lead, updated.
    const again = await run(app.creates.lead.operation.perform, clinic.api_key, {
      inputData: { ...input, treatment_interest: 'implants' },
    });
    expect(again).toMatchObject({ id: miss.result.id, treatment_interest: 'implants' });
    expect(await leadTotal()).toBe(before + 1);
  });

  it("maps the server's validation errors (no phone or email) to a clear message", async () => {
    const error = await appError(run(app.creates.lead.operation.perform, clinic.api_key, { inputData: { full_name: 'Nobody' } }));
    expect(error).toMatchObject({ code: 'invalid_input', status: 400 });
    expect(error.message).toMatch(/phone or email is required/);
  });
});

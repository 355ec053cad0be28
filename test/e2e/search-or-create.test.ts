/**
 * "Find or Create Lead" (find_lead, then lead_update on a match, or lead when none) end to end
 * against the reference server: "find by email, update if found, create if not" in one step.
 */
import { Lead } from '../../contract/resources';
import { startTestServer, type TestClinic, type TestServer } from '../../server/test/support/server';
import { app, appError, pointAppAt, run, searchOrCreate } from './zap';

describe('e2e: Find or Create Lead against the reference server', () => {
  let srv: TestServer;
  let clinic: TestClinic;
  let restoreHost = () => {};

  beforeAll(async () => {
    srv = await startTestServer('pglite');
    restoreHost = pointAppAt(srv.url);
    clinic = await srv.clinic('Search Or Create Clinic');
  });
  afterAll(async () => {
    restoreHost();
    await srv?.close();
  });

  const leadTotal = async () => (await clinic.api.get('/api/v1/leads?per_page=1')).body.meta.total as number;

  it('misses, then creates; then finds the lead and updates it with what the step says, creating nothing', async () => {
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
    expect(first).toMatchObject({ created: true, updated: false });
    const lead = Lead.parse(first.result);
    expect(lead).toMatchObject({
      email: 'casey@example.com',
      full_name: 'Casey Jones',
      source: 'website',
      agent_id: input.agent_id,
      external_metadata: { form: 'contact_us' },
    });
    expect(await leadTotal()).toBe(1);

    // The same step a week later, with a new city and status: the lead found by email is updated.
    const second = await searchOrCreate('find_lead', clinic.api_key, { ...input, city: 'Oakland', status: 'contacted' });
    expect(second).toMatchObject({ created: false, updated: true });
    expect(Lead.parse(second.result)).toMatchObject({ id: lead.id, city: 'Oakland', status: 'contacted', full_name: 'Casey Jones' });
    expect(await leadTotal()).toBe(1);
    const stored = (await clinic.api.get(`/api/v1/leads/${lead.id}`)).body;
    expect(stored).toEqual(second.result);

    // Found by phone too, and by nothing else once the criteria do not match.
    await expect(run(app.searches.find_lead.operation.perform, clinic.api_key, { inputData: { phone: '+14155550199' } })).resolves.toEqual([
      stored,
    ]);
    await expect(
      run(app.searches.find_lead.operation.perform, clinic.api_key, { inputData: { email: 'someone-else@example.com' } }),
    ).resolves.toEqual([]);
  });

  it('finds by external source + id, and re-running the create with that pair updates the same lead', async () => {
    const input = {
      external_source: 'web_form',
      external_id: 'fb_lead_555',
      phone: '+14155550142',
      full_name: 'Dana Ruiz',
      treatment_interest: 'whitening',
    };
    const before = await leadTotal();
    const miss = await searchOrCreate('find_lead', clinic.api_key, input);
    expect(miss.created).toBe(true);
    expect(await leadTotal()).toBe(before + 1);

    const hit = await searchOrCreate('find_lead', clinic.api_key, { ...input, phone: '', treatment_interest: 'veneers' });
    expect(hit).toMatchObject({ created: false, updated: true, result: { id: miss.result.id, treatment_interest: 'veneers' } });

    // Found by the pair alone, nothing to change (the pair is not Update Lead's): returned as it is.
    const asFound = await searchOrCreate('find_lead', clinic.api_key, { external_source: 'web_form', external_id: 'fb_lead_555' });
    expect(asFound).toEqual({ created: false, updated: true, result: (await clinic.api.get(`/api/v1/leads/${miss.result.id}`)).body });
    expect(asFound.result).toEqual(hit.result);

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

import { Lead } from '../../contract/resources';
import { sampleLead } from '../../contract/samples';
import { app as App, api, appErrorOf, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const search = App.searches!.find_lead;
const perform = search.operation.perform as never;
const empty = { data: [], meta: { page: 1, per_page: 10, total: 0 } };
const one = { data: [sampleLead], meta: { page: 1, per_page: 10, total: 1 } };

describe('find_lead (Find Lead)', () => {
  useNock();

  it('searches by email, phone, or external source + id, each optional with help text', () => {
    expect(search.display.label).toBe('Find Lead');
    expect(search.display.description).toMatch(/^Finds /);
    const fields = search.operation.inputFields as Array<{ key: string; required?: boolean; helpText?: string }>;
    expect(fields.map((f) => [f.key, f.required])).toEqual([
      ['email', false],
      ['phone', false],
      ['external_source', false],
      ['external_id', false],
    ]);
    for (const f of fields) expect(f.helpText?.length).toBeGreaterThan(20);
  });

  it('is the search of the "Find or Create Lead" search-or-create, with "Create or Update Lead"', () => {
    const searchOrCreate = (App as unknown as { searchOrCreates: Record<string, any> }).searchOrCreates.find_lead;
    expect(searchOrCreate).toMatchObject({ key: 'find_lead', search: 'find_lead', create: 'lead' });
    expect(App.creates.lead.noun).toBe(search.noun);
  });

  it('finds by exact email with GET /leads?email=', async () => {
    api().get('/api/v1/leads').query({ email: 'alex@example.com', per_page: '10' }).reply(200, one);
    const result = await appTester(perform, { authData, inputData: { email: 'alex@example.com' } });
    expect(result).toEqual([sampleLead]);
    expect(() => Lead.parse((result as unknown[])[0])).not.toThrow();
  });

  it('finds by phone', async () => {
    api().get('/api/v1/leads').query({ phone: '+14155551212', per_page: '10' }).reply(200, one);
    await expect(appTester(perform, { authData, inputData: { phone: '+14155551212', email: '' } })).resolves.toEqual([sampleLead]);
  });

  it('finds by external source and id together', async () => {
    api()
      .get('/api/v1/leads')
      .query({ external_source: 'make_facebook_lead_ads', external_id: 'fb_lead_987654321', per_page: '10' })
      .reply(200, one);
    await expect(
      appTester(perform, { authData, inputData: { external_source: 'make_facebook_lead_ads', external_id: 'fb_lead_987654321' } }),
    ).resolves.toEqual([sampleLead]);
  });

  it('returns an empty list when nothing matches (a miss is not an error)', async () => {
    api().get('/api/v1/leads').query({ email: 'nobody@example.com', per_page: '10' }).reply(200, empty);
    await expect(appTester(perform, { authData, inputData: { email: 'nobody@example.com' } })).resolves.toEqual([]);
  });

  it('refuses to search without any criterion, or with half of the external pair, before calling the API', async () => {
    const none = appErrorOf(await (appTester(perform, { authData, inputData: { email: '' } }) as Promise<unknown>).catch((e) => e));
    expect(none).toMatchObject({ code: 'invalid_input', status: 400 });
    expect(none.message).toMatch(/Email, Phone, or External Source and External ID/);
    const half = appErrorOf(
      await (appTester(perform, { authData, inputData: { external_source: 'hubspot' } }) as Promise<unknown>).catch((e) => e),
    );
    expect(half.message).toMatch(/go together/);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().get('/api/v1/leads').query(true),
      () => appTester(perform, { authData, inputData: { email: 'alex@example.com' } }),
      { repeatable: true },
    );
  });
});

import { LEAD_SOURCES, Lead } from '../../contract/resources';
import { sampleLead } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const create = App.creates.lead;
const perform = create.operation.perform as never;
type Field = {
  key: string;
  required?: boolean;
  helpText?: string;
  dict?: boolean;
  dynamic?: string;
  choices?: Array<{ value: string; label: string }>;
};
const fields = create.operation.inputFields as Field[];
const field = (key: string) => fields.find((f) => f.key === key)!;

const inputData = {
  full_name: 'Alex Smith',
  phone: '+14155551212',
  email: 'alex@example.com',
  treatment_interest: 'implants',
  country: 'US',
  city: 'San Francisco',
  language: 'en',
  source: 'paid_ads',
  agent_id: '4315bd15-3bcf-4685-9430-09afc83e8e5a',
  notes: 'Asked about financing.',
  external_source: 'make_facebook_lead_ads',
  external_id: 'fb_lead_987654321',
  external_metadata: { campaign: 'spring_implants', form: 'implants_2026' },
};

describe('lead (Create or Update Lead)', () => {
  useNock();

  it('offers every lead field under its API name, none required, each with help text', () => {
    expect(fields.map((f) => f.key).sort()).toEqual(Object.keys(inputData).sort());
    expect(fields.filter((f) => f.required)).toEqual([]);
    for (const f of fields) expect(f.helpText?.length).toBeGreaterThan(20);
  });

  it('explains idempotency on External Source + External ID', () => {
    expect(create.display.label).toBe('Create or Update Lead');
    expect(create.display.description).toMatch(/External Source and External ID/);
    expect(field('external_source').helpText).toMatch(/External ID.*updates that lead instead of creating a duplicate/);
  });

  it('has a static Source dropdown of the documented values, an Agent dropdown of outbound agents, and a key/value metadata field', () => {
    expect(field('source').choices!.map((c) => c.value)).toEqual([...LEAD_SOURCES]);
    expect(field('source').choices!.find((c) => c.value === 'paid_ads')!.label).toBe('Paid Ads');
    expect(field('agent_id').dynamic).toBe('agent_list.id.name');
    expect(field('external_metadata').dict).toBe(true);
  });

  it('POSTs every field to /leads and returns the saved lead (201 created)', async () => {
    api().post('/api/v1/leads', inputData).reply(201, sampleLead);
    const result = await appTester(perform, { authData, inputData });
    expect(result).toEqual(sampleLead);
    expect(() => Lead.parse(result)).not.toThrow();
  });

  it('returns the updated lead when the API answers 200 (same external source + id)', async () => {
    const updated = { ...sampleLead, city: 'Oakland', updated_at: '2026-05-14T13:00:00.000Z' };
    api()
      .post('/api/v1/leads', { ...inputData, city: 'Oakland' })
      .reply(200, updated);
    await expect(appTester(perform, { authData, inputData: { ...inputData, city: 'Oakland' } })).resolves.toEqual(updated);
  });

  it('leaves out blank fields and an empty metadata dict', async () => {
    api()
      .post('/api/v1/leads', { email: 'sam@example.com' })
      .reply(201, { ...sampleLead, email: 'sam@example.com' });
    const result = await appTester(perform, {
      authData,
      inputData: { email: 'sam@example.com', phone: '', full_name: '', source: '', agent_id: '', external_metadata: {} },
    });
    expect(result).toMatchObject({ email: 'sam@example.com' });
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().post('/api/v1/leads'),
      () => appTester(perform, { authData, inputData }),
    );
  });
});

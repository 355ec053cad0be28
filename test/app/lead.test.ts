import { LEAD_SOURCES, Lead } from '../../contract/resources';
import { sampleLead } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, itSendsStepIdempotencyKeys, useNock } from './helpers';

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
  external_source: 'web_form',
  external_id: 'fb_lead_987654321',
  external_metadata: { campaign: 'spring_implants', form: 'implants_2026' },
};

describe('lead (Create Lead)', () => {
  useNock();

  it('offers every lead field under its API name, none required; Phone and Email say one of them is needed', () => {
    expect(fields.map((f) => f.key).sort()).toEqual(Object.keys(inputData).sort());
    expect(fields.filter((f) => f.required)).toEqual([]);
    expect(field('phone').helpText).toMatch(/Phone or Email \(or both\) is required/);
    expect(field('email').helpText).toMatch(/Phone or Email \(or both\) is required/);
  });

  it('is a plain create (create-or-update is Find or Create Lead with Update Lead); External Source and External ID keep a rerun from duplicating', () => {
    expect(create.display).toEqual({ label: 'Create Lead', description: 'Creates a lead.' });
    expect(field('external_source').helpText).toMatch(
      /External ID.*running this step again for the same lead updates it instead of adding a duplicate/,
    );
  });

  it('has a static Source dropdown of the documented values, an Agent dropdown of outbound agents, and a key/value metadata field', () => {
    expect(field('source').choices!.map((c) => c.value)).toEqual([...LEAD_SOURCES]);
    expect(field('source').choices!.find((c) => c.value === 'paid_ads')!.label).toBe('Paid Ads');
    expect(field('agent_id').dynamic).toBe('agent_list.id.name');
    expect(field('external_metadata').dict).toBe(true);
  });

  it('POSTs every field to /leads and returns the saved lead (201 created); an upsert on the external pair needs no Idempotency-Key', async () => {
    api(['idempotency-key']).post('/api/v1/leads', inputData).reply(201, sampleLead);
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

  describe('without External Source and External ID, a retried step never creates the lead twice', () => {
    const { external_source: _source, external_id: _id, ...withoutPair } = inputData;
    itSendsStepIdempotencyKeys({
      method: 'post',
      path: '/api/v1/leads',
      run: (input) => appTester(perform, { authData, inputData: input }),
      inputData: withoutPair,
      otherInputData: { ...withoutPair, email: 'alex.smith@example.com' },
      reply: [201, sampleLead],
      reread: { path: `/api/v1/leads/${sampleLead.id}`, now: { ...sampleLead, status: 'contacted', city: 'Oakland' } },
    });
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().post('/api/v1/leads'),
      () => appTester(perform, { authData, inputData }),
      { repeatable: true },
    );
  });
});

import { LEAD_STATUSES, Lead } from '../../contract/resources';
import { sampleLead } from '../../contract/samples';
import { app as App, api, appErrorOf, appTester, authData, itMapsApiErrors, rejection, useNock } from './helpers';

const create = App.creates.lead_update;
const perform = create.operation.perform as never;
type Field = { key: string; required?: boolean; dynamic?: string; search?: string; choices?: Array<{ value: string }> };
const fields = create.operation.inputFields as Field[];
const id = sampleLead.id;

describe('lead_update (Update Lead)', () => {
  useNock();

  it("asks for the lead (dropdown + Find Lead) and then the lead's fields and status, all optional", () => {
    expect(create.display).toEqual({ label: 'Update Lead', description: "Updates a lead's details or status." });
    expect(fields[0]).toMatchObject({ key: 'lead_id', required: true, dynamic: 'lead_list.id.label', search: 'find_lead.id' });
    const createFields = (App.creates.lead.operation.inputFields as Field[]).map((f) => f.key);
    // The create's fields but the external pair (the API keeps a lead's origin), plus status.
    expect(fields.slice(1).map((f) => f.key)).toEqual([
      ...createFields.filter((k) => k !== 'external_source' && k !== 'external_id'),
      'status',
    ]);
    expect(fields.slice(1).filter((f) => f.required)).toEqual([]);
    expect(fields.at(-1)!.choices!.map((c) => c.value)).toEqual([...LEAD_STATUSES]);
  });

  it('PATCHes /leads/{id} with only the fields filled in (no Idempotency-Key: a PATCH is safe to repeat) and returns the lead', async () => {
    const updated = { ...sampleLead, city: 'Oakland', status: 'contacted' as const };
    api(['idempotency-key']).patch(`/api/v1/leads/${id}`, { city: 'Oakland', status: 'contacted' }).reply(200, updated);
    const result = await appTester(perform, {
      authData,
      inputData: { lead_id: id, city: 'Oakland', status: 'contacted', full_name: '', phone: '', email: '', external_metadata: {} },
    });
    expect(result).toEqual(updated);
    expect(() => Lead.parse(result)).not.toThrow();
  });

  it('sends metadata and an agent when given', async () => {
    const agent_id = '4315bd15-3bcf-4685-9430-09afc83e8e5a';
    api()
      .patch(`/api/v1/leads/${id}`, { agent_id, external_metadata: { form: 'spring' } })
      .reply(200, { ...sampleLead, agent_id, external_metadata: { form: 'spring' } });
    await expect(
      appTester(perform, { authData, inputData: { lead_id: id, agent_id, external_metadata: { form: 'spring' } } }),
    ).resolves.toMatchObject({
      agent_id,
    });
  });

  it('refuses to send an empty update, before calling the API', async () => {
    const error = appErrorOf(await rejection(appTester(perform, { authData, inputData: { lead_id: id, notes: '' } })));
    expect(error).toMatchObject({ code: 'invalid_input', status: 400 });
    expect(error.message).toMatch(/^Nothing to update/);
  });

  describe('inside Find or Create Lead (meta.withSearch)', () => {
    const withSearch = (inputData: Record<string, unknown>) =>
      appTester(perform, { authData, inputData: { lead_id: id, ...inputData }, meta: { withSearch: 'find_lead' } } as never);

    it('nothing filled in: returns the found lead as it is, with no write', async () => {
      api().get(`/api/v1/leads/${id}`).reply(200, sampleLead);
      await expect(withSearch({ city: '' })).resolves.toEqual(sampleLead);
    });

    it('only values the lead has already (the email it was found by, in any letter case): returns it, with no write', async () => {
      const found = { ...sampleLead, external_metadata: { campaign: 'spring_implants', form: 'implants_2026' } };
      api().get(`/api/v1/leads/${id}`).reply(200, found);
      const same = {
        email: found.email!.toUpperCase(),
        full_name: found.full_name,
        agent_id: found.agent_id?.toUpperCase(),
        external_metadata: { form: 'implants_2026', campaign: 'spring_implants' },
      };
      await expect(withSearch(same)).resolves.toEqual(found);
    });

    it('PATCHes only the fields that differ from the found lead', async () => {
      const updated = { ...sampleLead, city: 'Oakland', status: 'contacted' as const };
      api().get(`/api/v1/leads/${id}`).reply(200, sampleLead);
      api().patch(`/api/v1/leads/${id}`, { city: 'Oakland', status: 'contacted' }).reply(200, updated);
      await expect(
        withSearch({ email: sampleLead.email, full_name: sampleLead.full_name, city: 'Oakland', status: 'contacted' }),
      ).resolves.toEqual(updated);
    });
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().patch(`/api/v1/leads/${id}`),
      () => appTester(perform, { authData, inputData: { lead_id: id, status: 'lost' } }),
      { repeatable: true },
    );
  });
});

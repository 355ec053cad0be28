import { CampaignContact } from '../../contract/resources';
import { sampleCampaign, sampleContact } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, itSendsStepIdempotencyKeys, useNock } from './helpers';

const create = App.creates.campaign_contact;
const perform = create.operation.perform as never;
const created = { ...sampleContact, status: 'pending', attempts: 0, last_attempt_at: null };

describe('campaign_contact (Add Contact to Campaign)', () => {
  useNock();

  it("uses the API's field names, the required ones marked required and first", () => {
    const fields = create.operation.inputFields as Array<{ key: string; required?: boolean; helpText?: string }>;
    expect(fields.map((f) => f.key)).toEqual(['campaign_id', 'name', 'phone', 'interest', 'city', 'country', 'email', 'language', 'notes']);
    expect(fields.filter((f) => f.required).map((f) => f.key)).toEqual(['campaign_id', 'name', 'phone', 'interest', 'city']);
  });

  it('POSTs the contact to /campaigns/{campaign_id}/contacts and returns the created contact', async () => {
    api()
      .post(`/api/v1/campaigns/${sampleCampaign.id}/contacts`, {
        name: 'Alex Smith',
        phone: '+14155551212',
        interest: 'implants',
        city: 'San Francisco',
        country: 'US',
        email: 'alex@example.com',
        language: 'en',
      })
      .reply(201, created);
    const result = await appTester(perform, {
      authData,
      inputData: {
        campaign_id: sampleCampaign.id,
        name: 'Alex Smith',
        phone: '+14155551212',
        interest: 'implants',
        city: 'San Francisco',
        country: 'US',
        email: 'alex@example.com',
        language: 'en',
        notes: '',
      },
    });
    expect(result).toEqual(created);
    expect(() => CampaignContact.parse(result)).not.toThrow();
  });

  it('sends only the required fields when the optional ones are left blank', async () => {
    api()
      .post(`/api/v1/campaigns/${sampleCampaign.id}/contacts`, (body) => {
        expect(body).toEqual({ name: 'Sam Lee', phone: '+442071838750', interest: 'whitening', city: 'London' });
        return true;
      })
      .reply(201, { ...created, name: 'Sam Lee' });
    await appTester(perform, {
      authData,
      inputData: { campaign_id: sampleCampaign.id, name: 'Sam Lee', phone: '+442071838750', interest: 'whitening', city: 'London' },
    });
  });

  it('encodes the campaign id into the path', async () => {
    const scope = api().post('/api/v1/campaigns/a%2Fb%3F/contacts').reply(201, created);
    await appTester(perform, {
      authData,
      inputData: { campaign_id: 'a/b?', name: 'A', phone: '+14155551212', interest: 'x', city: 'y' },
    });
    expect(scope.isDone()).toBe(true);
  });

  describe('a retried step never adds the contact twice', () => {
    const inputData = { campaign_id: sampleCampaign.id, name: 'Alex Smith', phone: '+14155551212', interest: 'implants', city: 'Boston' };
    itSendsStepIdempotencyKeys({
      method: 'post',
      path: `/api/v1/campaigns/${sampleCampaign.id}/contacts`,
      run: (input) => appTester(perform, { authData, inputData: input }),
      inputData,
      otherInputData: { ...inputData, phone: '+14155551213' },
      reply: [201, created],
      reread: {
        path: `/api/v1/campaigns/${created.campaign_id}/contacts/${created.id}`,
        now: { ...created, status: 'qualified', attempts: 1, last_attempt_at: '2026-05-14T15:00:00.000Z' },
      },
    });
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().post(`/api/v1/campaigns/${sampleCampaign.id}/contacts`),
      () =>
        appTester(perform, {
          authData,
          inputData: { campaign_id: sampleCampaign.id, name: 'A', phone: '123', interest: 'x', city: 'y' },
        }),
      { repeatable: true },
    );
  });
});

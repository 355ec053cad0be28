import { Campaign } from '../../contract/resources';
import { sampleCampaign } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const trigger = App.triggers.campaign_list;
const second = { ...sampleCampaign, id: '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98', name: 'Whitening winter promo' };

describe('campaign_list (hidden trigger behind the Campaign dropdown)', () => {
  useNock();

  it('is hidden, paginated, and feeds campaign_contact.campaign_id', () => {
    expect(trigger.display.hidden).toBe(true);
    expect(trigger.operation).toMatchObject({ canPaginate: true });
    const field = App.creates.campaign_contact.operation.inputFields.find((f: { key: string }) => f.key === 'campaign_id');
    expect(field).toMatchObject({ dynamic: 'campaign_list.id.name', required: true });
    expect(() => Campaign.parse(trigger.operation.sample)).not.toThrow();
  });

  it('asks for page bundle.meta.page + 1 (Zapier counts from 0, the API from 1)', async () => {
    api()
      .get('/api/v1/campaigns')
      .query({ page: '1', per_page: '100' })
      .reply(200, { data: [sampleCampaign, second], meta: { page: 1, per_page: 100, total: 2 } });
    await expect(appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } })).resolves.toEqual([sampleCampaign, second]);

    api()
      .get('/api/v1/campaigns')
      .query({ page: '3', per_page: '100' })
      .reply(200, { data: [], meta: { page: 3, per_page: 100, total: 2 } });
    await expect(appTester(trigger.operation.perform as never, { authData, meta: { page: 2 } })).resolves.toEqual([]);
  });

  it('starts from page 1 when Zapier sends no page', async () => {
    api()
      .get('/api/v1/campaigns')
      .query({ page: '1', per_page: '100' })
      .reply(200, { data: [second], meta: { page: 1, per_page: 100, total: 1 } });
    await expect(appTester(trigger.operation.perform as never, { authData })).resolves.toEqual([second]);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().get('/api/v1/campaigns').query(true),
      () => appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } }),
      { repeatable: true },
    );
  });
});

import { Lead } from '../../contract/resources';
import { sampleLead } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const trigger = App.triggers.lead_list;
const older = { ...sampleLead, id: '0d1c2b3a-4f5e-4d6c-8b7a-9f8e7d6c5b4a', full_name: 'Sam Lee', created_at: '2026-05-10T09:00:00.000Z' };

describe('lead_list (hidden trigger behind the Lead dropdowns)', () => {
  useNock();

  it('is hidden, paginated, and feeds every lead_id field, with Find Lead as its search', () => {
    expect(trigger.display.hidden).toBe(true);
    expect(trigger.operation).toMatchObject({ canPaginate: true, type: 'polling' });
    expect(() => Lead.parse(trigger.operation.sample)).not.toThrow();
    const booking = App.creates.appointment.operation.inputFields.find((f: { key: string }) => f.key === 'lead_id');
    expect(booking).toMatchObject({ dynamic: 'lead_list.id.label', search: 'find_lead.id', required: true });
    const finding = App.searches!.find_appointment.operation.inputFields.find((f: { key: string }) => f.key === 'lead_id');
    expect(finding).toMatchObject({ dynamic: 'lead_list.id.label', required: false });
  });

  it('returns the API page newest first, asking for page bundle.meta.page + 1, each with a label', async () => {
    api()
      .get('/api/v1/leads')
      .query({ page: '1', per_page: '100' })
      .reply(200, { data: [sampleLead, older], meta: { page: 1, per_page: 100, total: 102 } });
    await expect(appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } })).resolves.toEqual([
      { ...sampleLead, label: 'Alex Smith' },
      { ...older, label: 'Sam Lee' },
    ]);
    api()
      .get('/api/v1/leads')
      .query({ page: '2', per_page: '100' })
      .reply(200, { data: [older], meta: { page: 2, per_page: 100, total: 102 } });
    await expect(appTester(trigger.operation.perform as never, { authData, meta: { page: 1 } })).resolves.toEqual([
      { ...older, label: 'Sam Lee' },
    ]);
  });

  it('labels a lead without a name by its phone, else its email', async () => {
    const unnamed = { ...sampleLead, full_name: null };
    api()
      .get('/api/v1/leads')
      .query({ page: '1', per_page: '100' })
      .reply(200, { data: [unnamed, { ...unnamed, id: older.id, phone: null }], meta: { page: 1, per_page: 100, total: 2 } });
    const listed = await appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } });
    expect((listed as Array<{ label: string }>).map((l) => l.label)).toEqual(['+14155551212', 'alex@example.com']);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().get('/api/v1/leads').query(true),
      () => appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } }),
      { repeatable: true },
    );
  });
});

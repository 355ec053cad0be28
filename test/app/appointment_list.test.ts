import { Appointment } from '../../contract/resources';
import { sampleAppointment, sampleCancelledAppointment } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const trigger = App.triggers.appointment_list;
const other = { ...sampleCancelledAppointment, id: '5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716' };

describe('appointment_list (hidden trigger behind the Appointment dropdowns)', () => {
  useNock();

  it('is hidden, paginated, and feeds appointment_id of reschedule and cancel, with Find Appointment as its search', () => {
    expect(trigger.display.hidden).toBe(true);
    expect(trigger.operation).toMatchObject({ canPaginate: true, type: 'polling' });
    expect(() => Appointment.parse(trigger.operation.sample)).not.toThrow();
    for (const key of ['appointment_update', 'appointment_cancel']) {
      const field = App.creates[key].operation.inputFields.find((f: { key: string }) => f.key === 'appointment_id');
      expect(field).toMatchObject({
        dynamic: 'appointment_list.id.label',
        search: 'find_appointment.id',
        required: true,
      });
    }
  });

  it('returns the API page newest first, asking for page bundle.meta.page + 1, each with a label in words', async () => {
    api()
      .get('/api/v1/appointments')
      .query({ page: '1', per_page: '100' })
      .reply(200, { data: [sampleAppointment, other], meta: { page: 1, per_page: 100, total: 2 } });
    await expect(
      appTester(trigger.operation.perform as never, { authData, meta: { page: 0, timezone: 'America/New_York' } }),
    ).resolves.toEqual([
      { ...sampleAppointment, label: 'Fri, May 15, 2026, 7:00 AM EDT – Alex Smith' },
      { ...other, label: 'Fri, May 15, 2026, 7:00 AM EDT – Alex Smith (Cancelled)' },
    ]);
    api()
      .get('/api/v1/appointments')
      .query({ page: '4', per_page: '100' })
      .reply(200, { data: [], meta: { page: 4, per_page: 100, total: 2 } });
    await expect(appTester(trigger.operation.perform as never, { authData, meta: { page: 3 } })).resolves.toEqual([]);
  });

  it("labels the time in the Zap's time zone (UTC when Zapier gives none), and a lead without a name by phone or email", async () => {
    const unnamed = { ...sampleAppointment, lead_full_name: null };
    const emailOnly = { ...unnamed, id: '6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2910', lead_phone: null };
    const anonymous = { ...emailOnly, id: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d', lead_email: null };
    api()
      .get('/api/v1/appointments')
      .query({ page: '1', per_page: '100' })
      .reply(200, { data: [unnamed, emailOnly, anonymous], meta: { page: 1, per_page: 100, total: 3 } });
    const listed = await appTester(trigger.operation.perform as never, { authData, meta: { page: 0, timezone: null } });
    expect((listed as Array<{ label: string }>).map((a) => a.label)).toEqual([
      'Fri, May 15, 2026, 11:00 AM UTC – +14155551212',
      'Fri, May 15, 2026, 11:00 AM UTC – alex@example.com',
      'Fri, May 15, 2026, 11:00 AM UTC – Lead without name or contact',
    ]);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().get('/api/v1/appointments').query(true),
      () => appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } }),
      { repeatable: true },
    );
  });
});

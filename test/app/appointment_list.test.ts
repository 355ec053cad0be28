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
        dynamic: 'appointment_list.id.scheduled_at',
        search: 'find_appointment.id',
        required: true,
      });
    }
  });

  it('returns the API page newest first, asking for page bundle.meta.page + 1', async () => {
    api().get('/api/v1/appointments').query({ page: '1', per_page: '100' })
      .reply(200, { data: [sampleAppointment, other], meta: { page: 1, per_page: 100, total: 2 } });
    await expect(appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } })).resolves.toEqual([
      sampleAppointment,
      other,
    ]);
    api().get('/api/v1/appointments').query({ page: '4', per_page: '100' })
      .reply(200, { data: [], meta: { page: 4, per_page: 100, total: 2 } });
    await expect(appTester(trigger.operation.perform as never, { authData, meta: { page: 3 } })).resolves.toEqual([]);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().get('/api/v1/appointments').query(true),
      () => appTester(trigger.operation.perform as never, { authData, meta: { page: 0 } }),
    );
  });
});

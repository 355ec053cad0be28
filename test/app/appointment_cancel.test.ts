import { Appointment } from '../../contract/resources';
import { sampleCancelledAppointment } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const create = App.creates.appointment_cancel;
const perform = create.operation.perform as never;
const id = sampleCancelledAppointment.id;

describe('appointment_cancel (Cancel Appointment)', () => {
  useNock();

  it('asks only for the appointment', () => {
    expect(create.display.label).toBe('Cancel Appointment');
    const fields = create.operation.inputFields as Array<{ key: string; required?: boolean; helpText?: string }>;
    expect(fields.map((f) => [f.key, f.required])).toEqual([['appointment_id', true]]);
    expect(fields[0]!.helpText).toMatch(/Find Appointment/);
  });

  it('DELETEs /appointments/{id} and returns the cancelled appointment', async () => {
    api().delete(`/api/v1/appointments/${id}`).reply(200, sampleCancelledAppointment);
    const result = await appTester(perform, { authData, inputData: { appointment_id: id } });
    expect(result).toEqual(sampleCancelledAppointment);
    expect(Appointment.parse(result).status).toBe('cancelled');
  });

  it('encodes the id into the path', async () => {
    api().delete('/api/v1/appointments/a%2Fb').reply(404, { error: 'Appointment not found.', code: 'not_found' });
    await expect(appTester(perform, { authData, inputData: { appointment_id: 'a/b' } })).rejects.toThrow(/Appointment not found/);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().delete(`/api/v1/appointments/${id}`),
      () => appTester(perform, { authData, inputData: { appointment_id: id } }),
      { repeatable: true },
    );
  });
});

import { Appointment } from '../../contract/resources';
import { sampleAppointment } from '../../contract/samples';
import { app as App, api, appErrorOf, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const search = App.searches!.find_appointment;
const perform = search.operation.perform as never;
const id = sampleAppointment.id;

describe('find_appointment (Find Appointment)', () => {
  useNock();

  it('searches by appointment or lead, each a dropdown (no typed ID field), or by date range', () => {
    expect(search.display).toEqual({
      label: 'Find Appointment',
      description: "Finds an appointment, or a lead's appointments in a date range.",
    });
    type Field = { key: string; label: string; required?: boolean; dynamic?: string; search?: string };
    const fields = search.operation.inputFields as Field[];
    expect(fields.map((f) => f.key)).toEqual(['appointment_id', 'lead_id', 'from', 'to', 'status']);
    expect(fields.filter((f) => f.required)).toEqual([]);
    expect(fields[0]).toMatchObject({ label: 'Appointment', dynamic: 'appointment_list.id.label' });
    expect(fields[1]).toMatchObject({ label: 'Lead', dynamic: 'lead_list.id.label' });
    // A search's fields do not link to a search step.
    expect(fields.filter((f) => f.search)).toEqual([]);
  });

  it('finds one by id with GET /appointments/{id}', async () => {
    api().get(`/api/v1/appointments/${id}`).reply(200, sampleAppointment);
    const result = await appTester(perform, { authData, inputData: { appointment_id: id, lead_id: 'ignored' } });
    expect(result).toEqual([sampleAppointment]);
    expect(() => Appointment.parse((result as unknown[])[0])).not.toThrow();
  });

  it('returns an empty list for an id that is not found (404 is a miss)', async () => {
    api().get(`/api/v1/appointments/${id}`).reply(404, { error: 'Appointment not found.', code: 'not_found' });
    await expect(appTester(perform, { authData, inputData: { appointment_id: id } })).resolves.toEqual([]);
  });

  it("finds a lead's appointments in a date range with GET /appointments?lead_id=&from=&to=", async () => {
    api()
      .get('/api/v1/appointments')
      .query({ lead_id: sampleAppointment.lead_id, from: '2026-05-15', to: '2026-05-16', status: 'confirmed', per_page: '10' })
      .reply(200, { data: [sampleAppointment], meta: { page: 1, per_page: 10, total: 1 } });
    await expect(
      appTester(perform, {
        authData,
        inputData: { appointment_id: '', lead_id: sampleAppointment.lead_id, from: '2026-05-15', to: '2026-05-16', status: 'confirmed' },
      }),
    ).resolves.toEqual([sampleAppointment]);
  });

  it('returns an empty list when the lead has no appointment in the range', async () => {
    api()
      .get('/api/v1/appointments')
      .query({ lead_id: sampleAppointment.lead_id, per_page: '10' })
      .reply(200, { data: [], meta: { page: 1, per_page: 10, total: 0 } });
    await expect(appTester(perform, { authData, inputData: { lead_id: sampleAppointment.lead_id } })).resolves.toEqual([]);
  });

  it('refuses to search without an id, lead or date, before calling the API', async () => {
    const error = appErrorOf(
      await (appTester(perform, { authData, inputData: { status: 'confirmed' } }) as Promise<unknown>).catch((e) => e),
    );
    expect(error).toMatchObject({ code: 'invalid_input', status: 400 });
    expect(error.message).toMatch(/^Pick an Appointment, or a Lead/);
  });

  describe('errors by id (other than 404)', () => {
    it('still reports a 401 instead of hiding it as a miss', async () => {
      api().get(`/api/v1/appointments/${id}`).reply(401, { error: 'Invalid or revoked API key.', code: 'unauthorized' });
      await expect(appTester(perform, { authData, inputData: { appointment_id: id } })).rejects.toMatchObject({ name: 'ExpiredAuthError' });
    });
  });

  describe('errors by lead and date range', () => {
    itMapsApiErrors(
      () => api().get('/api/v1/appointments').query(true),
      () => appTester(perform, { authData, inputData: { lead_id: sampleAppointment.lead_id } }),
      { repeatable: true },
    );
  });
});

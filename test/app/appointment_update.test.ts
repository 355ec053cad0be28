import { Appointment } from '../../contract/resources';
import { sampleAppointment } from '../../contract/samples';
import { app as App, api, appErrorOf, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const create = App.creates.appointment_update;
const perform = create.operation.perform as never;
type Field = { key: string; type?: string; required?: boolean; helpText?: string; choices?: Array<{ value: string }> };
const fields = create.operation.inputFields as Field[];
const id = sampleAppointment.id;
const moved = { ...sampleAppointment, scheduled_at: '2026-05-15T14:00:00.000Z', ends_at: '2026-05-15T14:30:00.000Z' };

describe('appointment_update (Update Appointment)', () => {
  useNock();

  it('is labelled for all it does (reschedules and edits) and asks for the appointment and optional changes', () => {
    expect(create.display.label).toBe('Update Appointment');
    expect(create.display.description).toBe("Updates an appointment's time, details or status.");
    expect(fields.map((f) => [f.key, Boolean(f.required)])).toEqual([
      ['appointment_id', true],
      ['scheduled_at', false],
      ['ends_at', false],
      ['title', false],
      ['notes', false],
      ['assigned_to', false],
      ['status', false],
    ]);
    expect(fields.find((f) => f.key === 'status')!.choices!.map((c) => c.value)).toEqual(['confirmed', 'completed', 'no_show']);
  });

  it('PATCHes /appointments/{id} with only the filled-in changes and returns the appointment', async () => {
    api(['idempotency-key'])
      .patch(`/api/v1/appointments/${id}`, { scheduled_at: moved.scheduled_at, ends_at: moved.ends_at })
      .reply(200, moved);
    const result = await appTester(perform, {
      authData,
      inputData: { appointment_id: id, scheduled_at: moved.scheduled_at, ends_at: moved.ends_at, title: '', notes: '', status: '' },
    });
    expect(result).toEqual(moved);
    expect(() => Appointment.parse(result)).not.toThrow();
  });

  it('sends a status change alone', async () => {
    api()
      .patch(`/api/v1/appointments/${id}`, { status: 'completed' })
      .reply(200, { ...sampleAppointment, status: 'completed' });
    await expect(appTester(perform, { authData, inputData: { appointment_id: id, status: 'completed' } })).resolves.toMatchObject({
      status: 'completed',
    });
  });

  it('refuses to send an empty change without calling the API', async () => {
    const error = appErrorOf(
      await (appTester(perform, { authData, inputData: { appointment_id: id } }) as Promise<unknown>).catch((e) => e),
    );
    expect(error).toMatchObject({ code: 'invalid_input', status: 400 });
    expect(error.message).toMatch(/^Nothing to change/);
  });

  it('points at Find Available Slot when the new time is taken (409 slot_unavailable)', async () => {
    api().patch(`/api/v1/appointments/${id}`).reply(409, { error: 'That time is already booked or blocked.', code: 'slot_unavailable' });
    const error = appErrorOf(
      await (
        appTester(perform, { authData, inputData: { appointment_id: id, scheduled_at: moved.scheduled_at } }) as Promise<unknown>
      ).catch((e) => e),
    );
    expect(error).toMatchObject({ code: 'slot_unavailable', status: 409 });
    expect(error.message).toMatch(/taken|booked/);
    expect(error.message).toMatch(/Find Available Slot/);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().patch(`/api/v1/appointments/${id}`),
      () => appTester(perform, { authData, inputData: { appointment_id: id, scheduled_at: moved.scheduled_at } }),
      { repeatable: true },
    );
  });
});

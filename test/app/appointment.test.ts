import { Appointment } from '../../contract/resources';
import { sampleAppointment } from '../../contract/samples';
import { app as App, api, appErrorOf, appTester, authData, itMapsApiErrors, itSendsStepIdempotencyKeys, useNock } from './helpers';

const create = App.creates.appointment;
const perform = create.operation.perform as never;
type Field = { key: string; type?: string; required?: boolean; helpText?: string; dynamic?: string; search?: string };
const fields = create.operation.inputFields as Field[];

const inputData = {
  lead_id: sampleAppointment.lead_id,
  scheduled_at: '2026-05-15T11:00:00.000Z',
  ends_at: '2026-05-15T11:30:00.000Z',
  title: 'Consultation',
  notes: 'First visit.',
  assigned_to: '4315bd15-3bcf-4685-9430-09afc83e8e5a',
};

const rescheduled = { ...sampleAppointment, scheduled_at: '2026-05-15T13:00:00.000Z', ends_at: '2026-05-15T13:30:00.000Z' };
const cancelled = { ...sampleAppointment, status: 'cancelled' };

describe('appointment (Book Appointment)', () => {
  useNock();

  it('asks for the lead (dropdown + Find Lead), the start, and optional end, title, notes and agent', () => {
    expect(create.display.label).toBe('Book Appointment');
    expect(fields.map((f) => [f.key, Boolean(f.required)])).toEqual([
      ['lead_id', true],
      ['scheduled_at', true],
      ['ends_at', false],
      ['title', false],
      ['notes', false],
      ['assigned_to', false],
    ]);
    expect(fields[0]).toMatchObject({ dynamic: 'lead_list.id.label', search: 'find_lead.id' });
    expect(fields.filter((f) => f.type === 'datetime').map((f) => f.key)).toEqual(['scheduled_at', 'ends_at']);
    expect(fields[1]!.helpText).toMatch(/Find Available Slot/);
  });

  it('POSTs the booking to /appointments and returns the appointment', async () => {
    api().post('/api/v1/appointments', inputData).reply(201, sampleAppointment);
    const result = await appTester(perform, { authData, inputData });
    expect(result).toEqual(sampleAppointment);
    expect(() => Appointment.parse(result)).not.toThrow();
  });

  it('leaves out a blank end time, title, notes and agent (the API defaults the length)', async () => {
    const body = { lead_id: inputData.lead_id, scheduled_at: inputData.scheduled_at };
    api()
      .post('/api/v1/appointments', body)
      .reply(201, { ...sampleAppointment, title: null });
    await expect(
      appTester(perform, { authData, inputData: { ...body, ends_at: '', title: '', notes: '', assigned_to: '' } }),
    ).resolves.toMatchObject({ title: null });
  });

  it('tells the user a taken slot is taken and points at Find Available Slot (409 slot_unavailable)', async () => {
    api().post('/api/v1/appointments').reply(409, { error: 'That time is already booked or blocked.', code: 'slot_unavailable' });
    const error = appErrorOf(await (appTester(perform, { authData, inputData }) as Promise<unknown>).catch((e) => e));
    expect(error).toMatchObject({ code: 'slot_unavailable', status: 409 });
    expect(error.message).toMatch(/^That time is already booked or blocked\. /);
    expect(error.message).toMatch(/Find Available Slot/);
  });

  describe('a retried step never books twice', () => {
    itSendsStepIdempotencyKeys({
      method: 'post',
      path: '/api/v1/appointments',
      run: (input) => appTester(perform, { authData, inputData: input }),
      inputData,
      otherInputData: { ...inputData, scheduled_at: '2026-05-15T12:00:00.000Z' },
      reply: [201, sampleAppointment],
      reread: { path: `/api/v1/appointments/${sampleAppointment.id}`, now: rescheduled },
    });

    /** Answers the booking POSTs in turn, recording each one's key; `replayed` marks a replay. */
    function bookings(answers: Array<{ body: object; replayed: boolean }>) {
      const keys: string[] = [];
      for (const { body, replayed } of answers) {
        api()
          .post('/api/v1/appointments', inputData)
          .reply(function reply() {
            keys.push(this.req.headers['idempotency-key'] as string);
            return [201, body, replayed ? { 'Idempotent-Replayed': 'true' } : {}];
          });
      }
      return keys;
    }

    it('books again when the replayed appointment was cancelled since, under a key of the input and the cancelled id', async () => {
      const rebooked = { ...sampleAppointment, id: 'b6f0c2de-6a0e-4a5c-9d63-1f0e5d2c7a11' };
      const keys = bookings([
        { body: sampleAppointment, replayed: true },
        { body: rebooked, replayed: false },
      ]);
      api().get(`/api/v1/appointments/${sampleAppointment.id}`).reply(200, cancelled);
      await expect(appTester(perform, { authData, inputData })).resolves.toEqual(rebooked);
      expect(keys).toHaveLength(2);
      expect(keys[1]).toMatch(/^"zap-[A-Za-z0-9_-]{43}"$/);
      expect(keys[1]).not.toBe(keys[0]);

      // Zapier's retry of that step follows the same keys to the same booking: nothing is booked a third time.
      const again = bookings([
        { body: sampleAppointment, replayed: true },
        { body: rebooked, replayed: true },
      ]);
      api().get(`/api/v1/appointments/${sampleAppointment.id}`).reply(200, cancelled);
      api().get(`/api/v1/appointments/${rebooked.id}`).reply(200, rebooked);
      await expect(appTester(perform, { authData, inputData })).resolves.toEqual(rebooked);
      expect(again).toEqual(keys);
    });

    it('gives up with a clear error when ten rebookings in a row were cancelled again', async () => {
      const ids = Array.from({ length: 11 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      const keys = bookings(ids.map((id) => ({ body: { ...sampleAppointment, id }, replayed: true })));
      for (const id of ids)
        api()
          .get(`/api/v1/appointments/${id}`)
          .reply(200, { ...cancelled, id });
      const error = appErrorOf(await (appTester(perform, { authData, inputData }) as Promise<unknown>).catch((e) => e));
      expect(error).toMatchObject({ code: 'rebooked_too_often', status: 409 });
      expect(error.message).toMatch(/cancelled/);
      expect(new Set(keys).size).toBe(11);
    });
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().post('/api/v1/appointments'),
      () => appTester(perform, { authData, inputData }),
      { repeatable: true },
    );
  });
});

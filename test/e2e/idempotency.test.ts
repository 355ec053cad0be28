/**
 * A step Zapier runs again sends the same Idempotency-Key (derived from the step, lib/idempotency.ts),
 * and the reference server answers it with the first response: Book Appointment, Add Contact to
 * Campaign and Create Lead (without External Source and External ID) never write twice. A replayed
 * answer is read again (lib/keyed-write.ts), so the step returns the record as it is now, and a
 * booking cancelled since is booked again instead of being reported as booked.
 */
import { startTestServer, type TestClinic, type TestServer } from '../../server/test/support/server';
import { app, appError, pointAppAt, run } from './zap';

describe('e2e: a retried step never writes twice (Idempotency-Key replay through the app)', () => {
  let srv: TestServer;
  let clinic: TestClinic;
  let restoreHost = () => {};

  beforeAll(async () => {
    srv = await startTestServer('pglite');
    restoreHost = pointAppAt(srv.url);
    clinic = await srv.clinic('Idempotency Clinic');
  });
  afterAll(async () => {
    restoreHost();
    await srv?.close();
  });

  const total = async (path: string) => (await clinic.api.get(path)).body.meta.total as number;
  /** Midnight UTC `weeks` weeks from now: slots there are free of the other tests' bookings. */
  const nextWeek = (weeks = 1) =>
    new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 7 * weeks)).toISOString();

  it('Book Appointment run twice books once and answers both runs with the same appointment; other input is another booking', async () => {
    const lead = (await clinic.api.post('/api/v1/leads', { email: 'rerun@example.com' })).body;
    const [slot] = (await clinic.api.get('/api/v1/availability?limit=1')).body.data;
    const inputData = { lead_id: lead.id, scheduled_at: slot.scheduled_at, title: 'Consultation' };

    const first = await run(app.creates.appointment.operation.perform, clinic.api_key, { inputData });
    const again = await run(app.creates.appointment.operation.perform, clinic.api_key, { inputData });
    expect(again).toEqual(first);
    expect(await total(`/api/v1/appointments?lead_id=${lead.id}`)).toBe(1);

    // Another step (another title) for the same slot has another key: the server books it anew,
    // and the slot is taken.
    const taken = await appError(
      run(app.creates.appointment.operation.perform, clinic.api_key, { inputData: { ...inputData, title: 'Other' } }),
    );
    expect(taken).toMatchObject({ code: 'slot_unavailable', status: 409 });
  });

  it('Book Appointment after its booking was cancelled books again: book, cancel, the same step again gets a live appointment', async () => {
    const lead = (await clinic.api.post('/api/v1/leads', { email: 'rebook@example.com' })).body;
    const [slot] = (await clinic.api.get(`/api/v1/availability?limit=1&from=${encodeURIComponent(nextWeek())}`)).body.data;
    const inputData = { lead_id: lead.id, scheduled_at: slot.scheduled_at, title: 'Consultation' };
    const book = () => run(app.creates.appointment.operation.perform, clinic.api_key, { inputData });

    const first = await book();
    expect(first).toMatchObject({ status: 'confirmed', scheduled_at: slot.scheduled_at });
    const cancelled = await run(app.creates.appointment_cancel.operation.perform, clinic.api_key, {
      inputData: { appointment_id: first.id },
    });
    expect(cancelled).toMatchObject({ id: first.id, status: 'cancelled' });

    // The same lead, time and input: the server replays the first 201, the app sees it is cancelled and books anew.
    const second = await book();
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ status: 'confirmed', lead_id: lead.id, scheduled_at: slot.scheduled_at });
    expect((await clinic.api.get(`/api/v1/appointments/${second.id}`)).body).toEqual(second);

    // Zapier's retry of that step lands on the same live booking: nothing more is booked.
    await expect(book()).resolves.toEqual(second);
    const all = (await clinic.api.get(`/api/v1/appointments?lead_id=${lead.id}`)).body.data;
    expect(all.map((a: { id: string; status: string }) => [a.id, a.status]).sort()).toEqual(
      [
        [first.id, 'cancelled'],
        [second.id, 'confirmed'],
      ].sort(),
    );
  });

  it('Book Appointment replayed returns the appointment as it is now (rescheduled since), without booking', async () => {
    const lead = (await clinic.api.post('/api/v1/leads', { email: 'moved@example.com' })).body;
    const [slot, later] = (await clinic.api.get(`/api/v1/availability?limit=2&from=${encodeURIComponent(nextWeek(2))}`)).body.data;
    const inputData = { lead_id: lead.id, scheduled_at: slot.scheduled_at };
    const first = await run(app.creates.appointment.operation.perform, clinic.api_key, { inputData });
    const moved = (await clinic.api.patch(`/api/v1/appointments/${first.id}`, later)).body;
    expect(moved.scheduled_at).toBe(later.scheduled_at);
    await expect(run(app.creates.appointment.operation.perform, clinic.api_key, { inputData })).resolves.toEqual(
      (await clinic.api.get(`/api/v1/appointments/${first.id}`)).body,
    );
    expect(await total(`/api/v1/appointments?lead_id=${lead.id}`)).toBe(1);
  });

  it('Add Contact to Campaign run twice adds the contact once', async () => {
    const campaign = clinic.campaigns[0]!.id;
    const inputData = { campaign_id: campaign, name: 'Rae Lin', phone: '+14155550155', interest: 'implants', city: 'Denver' };
    const before = await total(`/api/v1/campaigns/contacts?campaign_id=${campaign}`);
    const first = await run(app.creates.campaign_contact.operation.perform, clinic.api_key, { inputData });
    await expect(run(app.creates.campaign_contact.operation.perform, clinic.api_key, { inputData })).resolves.toEqual(first);
    expect(await total(`/api/v1/campaigns/contacts?campaign_id=${campaign}`)).toBe(before + 1);

    // Called since: the replay returns the contact as it is now, and does not add it again.
    await clinic.api.post(`/dev/campaign-contacts/${first.id}/outcome`, { status: 'callback_requested' });
    const now = await run(app.creates.campaign_contact.operation.perform, clinic.api_key, { inputData });
    expect(now).toMatchObject({ id: first.id, status: 'callback_requested', attempts: 1 });
    expect(await total(`/api/v1/campaigns/contacts?campaign_id=${campaign}`)).toBe(before + 1);
  });

  it('Create Lead without External Source and External ID run twice creates the lead once', async () => {
    const inputData = { full_name: 'Ola Berg', email: 'ola@example.com' };
    const first = await run(app.creates.lead.operation.perform, clinic.api_key, { inputData });
    await expect(run(app.creates.lead.operation.perform, clinic.api_key, { inputData })).resolves.toEqual(first);
    expect(await total('/api/v1/leads?email=ola@example.com')).toBe(1);

    // Changed since: the replay returns the lead as it is now.
    const changed = (await clinic.api.patch(`/api/v1/leads/${first.id}`, { status: 'contacted', city: 'Bergen' })).body;
    await expect(run(app.creates.lead.operation.perform, clinic.api_key, { inputData })).resolves.toEqual(changed);
    expect(await total('/api/v1/leads?email=ola@example.com')).toBe(1);
  });
});

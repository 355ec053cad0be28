/**
 * A step Zapier runs again sends the same Idempotency-Key (derived from the step, lib/idempotency.ts),
 * and the reference server answers it with the first response: Book Appointment, Add Contact to
 * Campaign and Create Lead (without External Source and External ID) never write twice.
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

  it('Add Contact to Campaign run twice adds the contact once', async () => {
    const campaign = clinic.campaigns[0]!.id;
    const inputData = { campaign_id: campaign, name: 'Rae Lin', phone: '+14155550155', interest: 'implants', city: 'Denver' };
    const before = await total(`/api/v1/campaigns/contacts?campaign_id=${campaign}`);
    const first = await run(app.creates.campaign_contact.operation.perform, clinic.api_key, { inputData });
    await expect(run(app.creates.campaign_contact.operation.perform, clinic.api_key, { inputData })).resolves.toEqual(first);
    expect(await total(`/api/v1/campaigns/contacts?campaign_id=${campaign}`)).toBe(before + 1);
  });

  it('Create Lead without External Source and External ID run twice creates the lead once', async () => {
    const inputData = { full_name: 'Ola Berg', email: 'ola@example.com' };
    const first = await run(app.creates.lead.operation.perform, clinic.api_key, { inputData });
    await expect(run(app.creates.lead.operation.perform, clinic.api_key, { inputData })).resolves.toEqual(first);
    expect(await total('/api/v1/leads?email=ola@example.com')).toBe(1);
  });
});

/**
 * Updated Appointment and Updated Lead against the reference server: real update deliveries (their
 * `data.previous_attributes`) through perform, with and without the Only When filter; the updates
 * made through the app's own actions (Update Appointment, Update Lead).
 */
import { UpdatedAppointment, UpdatedLead } from '../../lib/schemas';
import type { ReceivedRequest } from '../../server/test/support/receiver';
import { startTestServer, type TestClinic, type TestServer } from '../../server/test/support/server';
import { waitUntil } from '../../server/test/support/wait';
import { app, pointAppAt, run, subscribe, type Subscription, zapierRawHeaders } from './zap';

describe('e2e: the update triggers and their Only When filter', () => {
  let srv: TestServer;
  let clinic: TestClinic;
  let restoreHost = () => {};
  const subs = {} as Record<'appointment_updated' | 'lead_updated', Subscription>;

  beforeAll(async () => {
    srv = await startTestServer('pglite', { webhookScheduleScale: 0.001 });
    restoreHost = pointAppAt(srv.url);
    clinic = await srv.clinic('Update Triggers Clinic');
    subs.appointment_updated = await subscribe('appointment_updated', clinic.api_key);
    subs.lead_updated = await subscribe('lead_updated', clinic.api_key);
  });
  afterAll(async () => {
    for (const sub of Object.values(subs)) {
      await sub.unsubscribe();
      await sub.receiver.close();
    }
    restoreHost();
    await srv?.close();
  });

  /**
   * The delivery of a trigger whose object matches (waiting for it), and what perform makes of it:
   * without a filter, and the number of items for each Only When choice given.
   */
  async function delivery(key: keyof typeof subs, matches: (object: Record<string, unknown>) => boolean, onlyWhen: string[]) {
    const dataKey = key === 'lead_updated' ? 'lead' : 'appointment';
    const find = () => subs[key].receiver.received.find((r) => matches(JSON.parse(r.body).data[dataKey]));
    await waitUntil(`a matching ${key} delivery`, () => find() !== undefined, 20_000);
    const received: ReceivedRequest = find()!;
    const outcomes: Record<string, number> = {};
    for (const choice of onlyWhen) {
      const items = await run<unknown[]>(app.triggers[key].operation.perform, clinic.api_key, {
        subscribeData: subs[key].subscribeData,
        inputData: { only_when: choice },
        cleanedRequest: JSON.parse(received.body),
        rawRequest: { method: 'POST', querystring: '', headers: zapierRawHeaders(received.headers), content: received.body },
      });
      outcomes[choice] = items.length;
    }
    const [item] = await subs[key].perform<Record<string, unknown>>(received);
    return { item: item!, outcomes, previous: JSON.parse(received.body).data.previous_attributes as Record<string, unknown> };
  }

  it('Update Appointment reschedules: Updated Appointment names the move and its previous times, and passes "rescheduled" only', async () => {
    const lead = (await clinic.api.post('/api/v1/leads', { full_name: 'Ana Costa', email: 'ana@example.com' })).body;
    const [first, second] = (await clinic.api.get('/api/v1/availability?limit=2')).body.data;
    const booked = (await clinic.api.post('/api/v1/appointments', { lead_id: lead.id, ...first })).body;

    await run(app.creates.appointment_update.operation.perform, clinic.api_key, {
      inputData: { appointment_id: booked.id, scheduled_at: second.scheduled_at, ends_at: second.ends_at },
    });
    const moved = await delivery('appointment_updated', (a) => a.id === booked.id && a.scheduled_at === second.scheduled_at, [
      'rescheduled',
      'status_changed',
      'reassigned',
    ]);
    expect(moved.previous).toEqual({ scheduled_at: first.scheduled_at, ends_at: first.ends_at });
    expect(UpdatedAppointment.parse(moved.item)).toMatchObject({
      id: booked.id,
      scheduled_at: second.scheduled_at,
      changed_fields: ['scheduled_at', 'ends_at'],
      previous_scheduled_at: first.scheduled_at,
      previous_ends_at: first.ends_at,
      previous_status: 'confirmed',
    });
    expect(moved.outcomes).toEqual({ rescheduled: 1, status_changed: 0, reassigned: 0 });

    // A title alone: not a reschedule.
    await run(app.creates.appointment_update.operation.perform, clinic.api_key, {
      inputData: { appointment_id: booked.id, title: 'X-ray' },
    });
    const retitled = await delivery('appointment_updated', (a) => a.title === 'X-ray' && a.status === 'confirmed', [
      'rescheduled',
      'status_changed',
    ]);
    expect(retitled.item).toMatchObject({ changed_fields: ['title'], previous_scheduled_at: second.scheduled_at });
    expect(retitled.outcomes).toEqual({ rescheduled: 0, status_changed: 0 });

    // Marked completed: a status change, its previous status kept.
    await run(app.creates.appointment_update.operation.perform, clinic.api_key, {
      inputData: { appointment_id: booked.id, status: 'completed' },
    });
    const completed = await delivery('appointment_updated', (a) => a.id === booked.id && a.status === 'completed', [
      'rescheduled',
      'status_changed',
    ]);
    expect(completed.item).toMatchObject({ status: 'completed', previous_status: 'confirmed', changed_fields: ['status'] });
    expect(completed.outcomes).toEqual({ rescheduled: 0, status_changed: 1 });
  });

  it('Update Lead: Updated Lead passes "status changes" for a status, "contact changes" for a phone, with the values before', async () => {
    const lead = (await clinic.api.post('/api/v1/leads', { full_name: 'Ben Ode', phone: '+14155550190' })).body;

    const qualified = await run(app.creates.lead_update.operation.perform, clinic.api_key, {
      inputData: { lead_id: lead.id, status: 'qualified' },
    });
    expect(qualified).toMatchObject({ id: lead.id, status: 'qualified' });
    const status = await delivery('lead_updated', (l) => l.id === lead.id && l.status === 'qualified' && l.phone === '+14155550190', [
      'status_changed',
      'contact_changed',
      'agent_changed',
    ]);
    expect(UpdatedLead.parse(status.item)).toMatchObject({ status: 'qualified', previous_status: 'new', changed_fields: ['status'] });
    expect(status.outcomes).toEqual({ status_changed: 1, contact_changed: 0, agent_changed: 0 });

    await run(app.creates.lead_update.operation.perform, clinic.api_key, { inputData: { lead_id: lead.id, phone: '+14155550191' } });
    const phone = await delivery('lead_updated', (l) => l.id === lead.id && l.phone === '+14155550191', [
      'status_changed',
      'contact_changed',
    ]);
    expect(phone.item).toMatchObject({
      phone: '+14155550191',
      previous_phone: '+14155550190',
      previous_status: 'qualified',
      changed_fields: ['phone'],
    });
    expect(phone.outcomes).toEqual({ status_changed: 0, contact_changed: 1 });
  });
});

/**
 * A booking's events (appointment.created, lead.updated) are recorded for the subscriptions that
 * will receive them, and only then (migration 012): a clinic without webhooks writes no event rows,
 * and no subscription misses a booking that started after it was created, bookings running.
 */
import { Appointment, Lead } from '../../contract';
import { BOOKING_EVENTS, freshClient, futureMonday, slotsOfDay, subscribe } from './support/booking';
import { backends } from './support/databases';
import { startTestServer, type ApiClient, type TestServer } from './support/server';

describe.each(backends())("a booking's events on %s", (backend) => {
  let srv: TestServer;
  let week = 80;

  beforeAll(async () => {
    // No delivery worker: the deliveries stay queued, where the test counts them.
    srv = await startTestServer(backend, { runWorker: false });
  });
  afterAll(() => srv.close());

  const db = () => srv.running.deps.database.db;

  /** A fresh clinic (no subscription) and a client of it. */
  async function freshClinic(name: string): Promise<{ clinicId: string; api: ApiClient }> {
    const clinic = await srv.clinic(name);
    return { clinicId: clinic.clinic.id, api: await freshClient(srv, clinic.clinic.id) };
  }

  /** Books the first slot of a fresh day for a new lead: the lead becomes booked (a lead.updated). */
  async function bookNewLead(api: ApiClient, slot = 0): Promise<Appointment> {
    const lead = Lead.parse((await api.post('/api/v1/leads', { full_name: 'Sam Roe', email: `sam${week}@example.com` })).body);
    const slots = await slotsOfDay(api, futureMonday(week++));
    const res = await api.post('/api/v1/appointments', { lead_id: lead.id, ...slots[slot]! });
    expect(res.status).toBe(201);
    return Appointment.parse(res.body);
  }

  /** The booking's events recorded for a clinic (what they are about), each with the webhooks its deliveries go to. */
  async function recorded(clinicId: string): Promise<Array<{ type: string; about: string; webhooks: string[] }>> {
    const events = await db()
      .selectFrom('webhook_events')
      .select(['id', 'type', 'payload'])
      .where('clinic_id', '=', clinicId)
      .where('type', 'in', BOOKING_EVENTS)
      .execute();
    const deliveries = await db()
      .selectFrom('webhook_deliveries')
      .select(['event_id', 'webhook_id'])
      .where('clinic_id', '=', clinicId)
      .execute();
    return events
      .map((e) => {
        const data = JSON.parse(e.payload).data as { appointment?: { id: string }; lead?: { id: string } };
        const about = data.appointment?.id ?? data.lead?.id ?? '';
        const webhooks = deliveries.filter((d) => d.event_id === e.id).map((d) => d.webhook_id);
        return { type: e.type, about, webhooks };
      })
      .sort((a, b) => `${a.type}${a.about}`.localeCompare(`${b.type}${b.about}`));
  }

  it('records no event row for a booking in a clinic that no subscription listens to', async () => {
    const { clinicId, api } = await freshClinic('No Webhooks Clinic');
    const appointment = await bookNewLead(api);
    expect(await db().selectFrom('appointments').select('id').where('id', '=', appointment.id).execute()).toHaveLength(1);
    expect(await recorded(clinicId)).toEqual([]);
  });

  it('records the event types an active subscription wants, each with its delivery, and not the others', async () => {
    const { clinicId, api } = await freshClinic('Some Webhooks Clinic');
    const created = await subscribe(api, ['appointment.created']);
    const disabled = await subscribe(api, ['lead.updated']);
    await db().updateTable('webhooks').set({ status: 'disabled', disabled_reason: 'failing' }).where('id', '=', disabled).execute();
    const first = await bookNewLead(api);
    expect(await recorded(clinicId)).toEqual([{ type: 'appointment.created', about: first.id, webhooks: [created] }]);

    // Once an active subscription wants lead.updated, the next booking records it too.
    const updated = await subscribe(api, ['lead.updated', 'appointment.created']);
    const second = await bookNewLead(api);
    expect(await recorded(clinicId)).toEqual(
      [
        { type: 'appointment.created', about: first.id, webhooks: [created] },
        { type: 'appointment.created', about: second.id, webhooks: expect.arrayContaining([created, updated]) },
        { type: 'lead.updated', about: second.lead_id, webhooks: [updated] },
      ].sort((a, b) => `${a.type}${a.about}`.localeCompare(`${b.type}${b.about}`)),
    );
  });

  it('delivers to a new subscription every booking sent after it was created, while bookings run concurrently', async () => {
    const { clinicId, api } = await freshClinic('Concurrent Subscription Clinic');
    const lead = Lead.parse((await api.post('/api/v1/leads', { full_name: 'Kim Poe', email: 'kim@example.com' })).body);
    const days = [futureMonday(week++), futureMonday(week++), futureMonday(week++)];
    const slots = (await Promise.all(days.map((day) => slotsOfDay(api, day)))).flat();
    let subscription: string | undefined;
    // Four lanes book one slot after another; the subscription is created while they run.
    const after: string[] = [];
    const lanes = [0, 1, 2, 3].map(async (lane) => {
      for (let i = lane; i < slots.length; i += 4) {
        const sentAfterSubscription = subscription !== undefined;
        const res = await api.post('/api/v1/appointments', { lead_id: lead.id, ...slots[i]! });
        expect(res.status).toBe(201);
        if (sentAfterSubscription) after.push(res.body.id);
      }
    });
    const subscribing = (async () => {
      while ((await db().selectFrom('appointments').select('id').where('clinic_id', '=', clinicId).execute()).length < 8) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      subscription = await subscribe(api, ['appointment.created']);
    })();
    await Promise.all([...lanes, subscribing]);
    expect(after.length).toBeGreaterThan(8);
    const delivered = new Set((await recorded(clinicId)).filter((e) => e.webhooks.includes(subscription!)).map((e) => e.about));
    expect(after.filter((id) => !delivered.has(id))).toEqual([]);
  });
});

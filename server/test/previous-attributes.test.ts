/**
 * `data.previous_attributes` of appointment.updated and lead.updated, on both backends: exactly
 * the fields the change altered with their previous values, for every way an appointment or a
 * lead is updated; no event (and no write) for a change that alters nothing; absent elsewhere.
 */
import { EVENT_TYPES, EventEnvelope, Lead } from '../../contract';
import { freshClient, futureMonday, slotsOfDay, subscribe } from './support/booking';
import { backends } from './support/databases';
import { startTestServer, type ApiClient, type TestClinic, type TestServer } from './support/server';

describe.each(backends())('previous_attributes on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let api: ApiClient;
  let week = 60;
  const outbound = () => clinic.agents.find((a) => a.direction === 'outbound')!;

  /** The events recorded about the object `id`, oldest first. */
  async function eventsAbout(id: string, type?: string): Promise<EventEnvelope[]> {
    let q = srv.running.deps.database.db.selectFrom('webhook_events').select('payload').where('payload', 'like', `%${id}%`);
    if (type) q = q.where('type', '=', type);
    const rows = await q.orderBy('created_at').execute();
    return rows.map((r) => EventEnvelope.parse(JSON.parse(r.payload)));
  }

  const newLead = async (body: Record<string, unknown>) => Lead.parse((await api.post('/api/v1/leads', body)).body);

  async function book(extra: Record<string, unknown> = {}) {
    const lead = await newLead({ full_name: 'Pat Doe', email: `pat${week}@example.com` });
    const slots = await slotsOfDay(api, futureMonday(week++));
    const res = await api.post('/api/v1/appointments', { lead_id: lead.id, ...slots[0]!, title: 'Consultation', ...extra });
    expect(res.status).toBe(201);
    return { appointment: res.body, slots, lead };
  }

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Previous Attributes Clinic');
    await subscribe(clinic.api, [...EVENT_TYPES]); // every event these tests read is recorded
  });
  beforeEach(async () => {
    api = await freshClient(srv, clinic.clinic.id);
  });
  afterAll(() => srv.close());

  it('a reschedule carries the previous start and end, and only those', async () => {
    const { appointment, slots } = await book();
    const moved = await api.patch(`/api/v1/appointments/${appointment.id}`, { scheduled_at: slots[2]!.scheduled_at });
    expect(moved.status).toBe(200);
    const [event] = await eventsAbout(appointment.id, 'appointment.updated');
    expect(event!.data.appointment).toEqual(moved.body);
    expect(event!.data.previous_attributes).toEqual({ scheduled_at: appointment.scheduled_at, ends_at: appointment.ends_at });
  });

  it('a status change, a reassignment and an edit each carry exactly what they changed', async () => {
    const { appointment } = await book();
    const id = appointment.id;
    await api.patch(`/api/v1/appointments/${id}`, { status: 'no_show' });
    await api.patch(`/api/v1/appointments/${id}`, { assigned_to: outbound().id, title: 'Consultation' });
    await api.patch(`/api/v1/appointments/${id}`, { title: 'Follow-up', notes: 'Bring X-rays' });
    const previous = (await eventsAbout(id, 'appointment.updated')).map((e) => e.data.previous_attributes);
    expect(previous).toEqual([
      { status: 'confirmed' },
      { assigned_to: null, assigned_to_name: null },
      { title: 'Consultation', notes: null },
    ]);
  });

  it('a PATCH that changes nothing records no event and leaves the appointment as it was', async () => {
    const { appointment } = await book({ assigned_to: outbound().id });
    const same = await api.patch(`/api/v1/appointments/${appointment.id}`, {
      scheduled_at: appointment.scheduled_at.replace('.000Z', 'Z'),
      title: appointment.title,
      assigned_to: outbound().id.toUpperCase(),
      status: 'confirmed',
    });
    expect(same.status).toBe(200);
    expect(same.body).toEqual(appointment);
    expect(await eventsAbout(appointment.id, 'appointment.updated')).toEqual([]);
  });

  it('a lead PATCH carries the changed fields, the derived names and agent name included', async () => {
    const lead = await newLead({ full_name: 'Kim Park', email: 'kim@example.com', external_metadata: { a: 1, b: [1, 2] } });
    const patched = await api.patch(`/api/v1/leads/${lead.id}`, {
      full_name: 'Kim Lee',
      agent_id: outbound().id,
      email: 'kim@example.com',
      external_metadata: { b: [1, 2], a: 1 },
    });
    expect(patched.status).toBe(200);
    const [event] = await eventsAbout(lead.id, 'lead.updated');
    expect(event!.data.lead).toEqual(patched.body);
    expect(event!.data.previous_attributes).toEqual({ full_name: 'Kim Park', last_name: 'Park', agent_id: null, agent_name: null });
    // The same values again: no write, no event.
    const again = await api.patch(`/api/v1/leads/${lead.id}`, { full_name: 'Kim Lee', external_metadata: { a: 1, b: [1, 2] } });
    expect(again.body).toEqual(patched.body);
    expect(await eventsAbout(lead.id, 'lead.updated')).toHaveLength(1);
  });

  it('POST /leads on an existing external pair carries what it changed, and records nothing when it changes nothing', async () => {
    const body = { email: 'upsert@example.com', city: 'Boston', external_source: 'crm', external_id: `prev-${backend}` };
    const created = await api.post('/api/v1/leads', body);
    expect(created.status).toBe(201);
    const changed = await api.post('/api/v1/leads', { ...body, city: 'Austin', notes: 'Called' });
    expect(changed.status).toBe(200);
    const unchanged = await api.post('/api/v1/leads', { ...body, city: 'Austin' });
    expect(unchanged.status).toBe(200);
    expect(unchanged.body).toEqual(changed.body);
    const events = await eventsAbout(created.body.id, 'lead.updated');
    expect(events.map((e) => [e.data.lead, e.data.previous_attributes])).toEqual([[changed.body, { city: 'Boston', notes: null }]]);
  });

  it("the booking that makes a lead booked records lead.updated with the lead's previous status", async () => {
    const { lead } = await book();
    const [event] = await eventsAbout(lead.id, 'lead.updated');
    expect(event!.data.previous_attributes).toEqual({ status: 'new' });
    expect(event!.data.lead).toEqual((await api.get(`/api/v1/leads/${lead.id}`)).body);
  });

  it('other events carry no previous_attributes', async () => {
    const { appointment, lead } = await book();
    await api.delete(`/api/v1/appointments/${appointment.id}`);
    const others = [...(await eventsAbout(appointment.id)), ...(await eventsAbout(lead.id, 'lead.created'))].filter(
      (e) => e.type !== 'appointment.updated',
    );
    expect(others.map((e) => e.type).sort()).toEqual(['appointment.cancelled', 'appointment.created', 'lead.created']);
    for (const event of others) expect(Object.keys(event.data)).toEqual([event.type.startsWith('lead') ? 'lead' : 'appointment']);
  });
});

/** Availability, appointments and calendar blocks through the API. */
import { Appointment, CalendarBlock, Slot } from '../../contract';
import { createApiKey } from '../../server/services/api-keys';
import { backends } from '../support/databases';
import { startTestServer, type TestClinic, type TestServer } from '../support/server';

/** A Monday at least a week ahead, as YYYY-MM-DD (a calendar day: the same in every zone). */
function futureMonday(weeksAhead = 1): string {
  const d = new Date(Date.now() + weeksAhead * 7 * 86_400_000);
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7));
  return d.toISOString().slice(0, 10);
}
const nextDay = (day: string, n = 1) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

describe.each(backends())('booking on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let leadId: string;

  const daySlots = async (day: string, query = '') =>
    (await clinic.api.get(`/api/v1/availability?from=${day}&to=${nextDay(day)}&limit=100${query}`)).body.data as Slot[];
  const eventsOf = async (type: string, id: string) =>
    (await srv.running.deps.database.db.selectFrom('webhook_events').select('payload').where('type', '=', type).execute()).filter(
      (e) => JSON.parse(e.payload).data.appointment?.id === id,
    );

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic('Booking Clinic', 'America/New_York');
    other = await srv.clinic('Other Clinic', 'Europe/Berlin');
    leadId = (await clinic.api.post('/api/v1/leads', { full_name: 'Booker', phone: '+14155550111' })).body.id;
  });
  afterAll(() => srv.close());

  describe('GET /availability', () => {
    it('offers 16 half-hour slots on a weekday, in clinic time, none at the weekend', async () => {
      const monday = futureMonday();
      const slots = await daySlots(monday);
      expect(slots).toHaveLength(16);
      slots.forEach((s) => Slot.parse(s));
      const firstLocal = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(slots[0]!.scheduled_at));
      expect(firstLocal).toBe('09:00');
      expect(await daySlots(nextDay(monday, 5))).toEqual([]); // Saturday
    });

    it('runs the seed example verbatim (a past date yields no past slots)', async () => {
      const res = await clinic.api.get('/api/v1/availability?from=2026-04-26&preference=morning&limit=5');
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(5);
      for (const s of res.body.data as Slot[]) {
        expect(Date.parse(s.scheduled_at)).toBeGreaterThan(Date.now());
        const hour = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', hourCycle: 'h23' }).format(new Date(s.scheduled_at)));
        expect(hour).toBeLessThan(12);
      }
    });

    it('defaults to upcoming slots from now', async () => {
      const res = await clinic.api.get('/api/v1/availability');
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(10);
      expect(Date.parse(res.body.data[0].scheduled_at)).toBeGreaterThan(Date.now());
    });

    it.each([
      ['a bad preference', 'preference=night'],
      ['a bad date', 'from=2026-13-40'],
      ['limit over 100', 'limit=101'],
      ['to before from', `from=${futureMonday()}&to=2026-01-01`],
      ['a range over 92 days', `from=${futureMonday()}&to=${nextDay(futureMonday(), 120)}`],
    ])('refuses %s with 400', async (_name, q) => {
      const res = await clinic.api.get(`/api/v1/availability?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_input');
    });
  });

  describe('appointments', () => {
    it('books a slot straight from GET /availability and removes it from availability', async () => {
      const day = futureMonday(2);
      const [slot] = await daySlots(day);
      const res = await clinic.api.post('/api/v1/appointments', { lead_id: leadId, ...slot, title: 'Consultation' });
      expect(res.status).toBe(201);
      const appt = Appointment.parse(res.body);
      expect(appt).toMatchObject({ lead_id: leadId, status: 'confirmed', title: 'Consultation', assigned_to: null, cancelled_at: null, ...slot });
      expect((await daySlots(day)).map((s) => s.scheduled_at)).not.toContain(slot!.scheduled_at);
      expect(await eventsOf('appointment.created', appt.id)).toHaveLength(1);
      expect((await clinic.api.get(`/api/v1/leads/${leadId}`)).body.status).toBe('booked');
      expect((await clinic.api.get(`/api/v1/appointments/${appt.id}`)).body).toEqual(res.body);
    });

    it('runs the seed booking example with a real lead (ends_at given, Z without milliseconds)', async () => {
      const [slot] = await daySlots(futureMonday(3));
      const body = { lead_id: leadId, scheduled_at: slot!.scheduled_at.replace('.000Z', 'Z'), ends_at: slot!.ends_at.replace('.000Z', 'Z'), title: 'Consultation' };
      const res = await clinic.api.post('/api/v1/appointments', body);
      expect(res.status).toBe(201);
      expect(res.body.scheduled_at).toBe(slot!.scheduled_at);
    });

    it('defaults ends_at to the slot length', async () => {
      const [, second] = await daySlots(futureMonday(3));
      const res = await clinic.api.post('/api/v1/appointments', { lead_id: leadId, scheduled_at: second!.scheduled_at });
      expect(res.status).toBe(201);
      expect(res.body.ends_at).toBe(second!.ends_at);
    });

    it.each([
      ['a taken slot', 'taken'],
      ['a time outside opening hours', 'night'],
      ['a weekend', 'weekend'],
      ['a time overlapping a calendar block', 'blocked'],
    ])('answers 409 slot_unavailable for %s', async (_name, kind) => {
      const day = futureMonday(4);
      const slots = await daySlots(day);
      let body: Record<string, string> = { lead_id: leadId, ...slots[5]! };
      if (kind === 'taken') {
        expect((await clinic.api.post('/api/v1/appointments', body)).status).toBe(201);
        body = { lead_id: leadId, scheduled_at: new Date(Date.parse(slots[5]!.scheduled_at) + 10 * 60_000).toISOString() };
      } else if (kind === 'night') {
        body = { lead_id: leadId, scheduled_at: `${day}T05:00:00Z` }; // 01:00 in New York
      } else if (kind === 'weekend') {
        body = { lead_id: leadId, scheduled_at: `${nextDay(day, 5)}T15:00:00Z` };
      } else {
        const block = { external_source: 'google_calendar', external_id: `blk-${day}`, starts_at: slots[8]!.scheduled_at, ends_at: slots[9]!.ends_at };
        expect((await clinic.api.post('/api/v1/availability/blocks', block)).status).toBe(201);
        body = { lead_id: leadId, ...slots[9]! };
      }
      const res = await clinic.api.post('/api/v1/appointments', body);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('slot_unavailable');
    });

    it.each([
      ['a past time', () => ({ lead_id: leadId, scheduled_at: '2020-01-06T15:00:00Z' })],
      ['ends_at before scheduled_at', () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, ends_at: `${futureMonday()}T14:00:00Z` })],
      ['a missing lead_id', () => ({ scheduled_at: `${futureMonday()}T15:00:00Z` })],
      ['an unknown field', () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, room: 3 })],
      ['a date without time', () => ({ lead_id: leadId, scheduled_at: futureMonday() })],
      ['an unknown agent', () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, assigned_to: '00000000-0000-4000-8000-000000000000' })],
    ])('answers 400 for %s', async (_name, body) => {
      const res = await clinic.api.post('/api/v1/appointments', body());
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_input');
    });

    it("answers 404 for another clinic's lead", async () => {
      const theirLead = (await other.api.post('/api/v1/leads', { email: 'their@example.com' })).body.id;
      const [slot] = await daySlots(futureMonday(5));
      const res = await clinic.api.post('/api/v1/appointments', { lead_id: theirLead, ...slot });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    });

    it('reschedules under the same rules, keeps the length, and records appointment.updated', async () => {
      const slots = await daySlots(futureMonday(6));
      const appt = (await clinic.api.post('/api/v1/appointments', { lead_id: leadId, ...slots[0]! })).body as Appointment;
      const blocker = (await clinic.api.post('/api/v1/appointments', { lead_id: leadId, ...slots[2]! })).body as Appointment;
      const moved = await clinic.api.patch(`/api/v1/appointments/${appt.id}`, { scheduled_at: slots[4]!.scheduled_at, notes: 'moved' });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ scheduled_at: slots[4]!.scheduled_at, ends_at: slots[4]!.ends_at, notes: 'moved' });
      expect((await daySlots(futureMonday(6))).map((s) => s.scheduled_at)).toContain(slots[0]!.scheduled_at); // freed
      const clash = await clinic.api.patch(`/api/v1/appointments/${appt.id}`, { scheduled_at: blocker.scheduled_at });
      expect(clash.status).toBe(409);
      // Moving within its own time (overlapping itself) is fine.
      const shift = await clinic.api.patch(`/api/v1/appointments/${appt.id}`, { ends_at: new Date(Date.parse(slots[4]!.ends_at) + 30 * 60_000).toISOString() });
      expect(shift.status).toBe(200);
      expect((await clinic.api.patch(`/api/v1/appointments/${appt.id}`, { status: 'completed' })).body.status).toBe('completed');
      expect((await clinic.api.patch(`/api/v1/appointments/${appt.id}`, { status: 'cancelled' })).status).toBe(400);
      expect((await clinic.api.patch(`/api/v1/appointments/${appt.id}`, {})).status).toBe(400);
      expect(await eventsOf('appointment.updated', appt.id)).toHaveLength(3);
    });

    it('soft-cancels once, frees the slot, and repeats harmlessly', async () => {
      const day = futureMonday(7);
      const [slot] = await daySlots(day);
      const appt = (await clinic.api.post('/api/v1/appointments', { lead_id: leadId, ...slot })).body as Appointment;
      const cancelled = await clinic.api.delete(`/api/v1/appointments/${appt.id}`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ id: appt.id, status: 'cancelled', cancelled_at: expect.any(String) });
      const again = await clinic.api.delete(`/api/v1/appointments/${appt.id}`);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(cancelled.body);
      expect(await eventsOf('appointment.cancelled', appt.id)).toHaveLength(1);
      expect((await daySlots(day))[0]).toEqual(slot);
      expect((await clinic.api.patch(`/api/v1/appointments/${appt.id}`, { notes: 'x' })).status).toBe(400);
      // The freed slot can be booked again.
      expect((await clinic.api.post('/api/v1/appointments', { lead_id: leadId, ...slot })).status).toBe(201);
    });

    it('lists with status, lead and date filters, newest first, paginated', async () => {
      const all = await clinic.api.get('/api/v1/appointments?per_page=100');
      expect(all.status).toBe(200);
      const created = all.body.data.map((a: Appointment) => a.created_at);
      expect([...created].sort().reverse()).toEqual(created);
      const cancelled = await clinic.api.get('/api/v1/appointments?status=cancelled');
      expect(cancelled.body.data.every((a: Appointment) => a.status === 'cancelled')).toBe(true);
      expect(cancelled.body.meta.total).toBeGreaterThanOrEqual(1);
      const day = futureMonday(6);
      const inDay = await clinic.api.get(`/api/v1/appointments?from=${day}&to=${nextDay(day)}`);
      expect(inDay.body.meta.total).toBe(2);
      expect((await clinic.api.get(`/api/v1/appointments?lead_id=${leadId}`)).body.meta.total).toBe(all.body.meta.total);
      expect((await clinic.api.get('/api/v1/appointments?status=booked')).status).toBe(400);
      expect((await other.api.get('/api/v1/appointments')).body.meta.total).toBe(0);
    });

    it("answers 404 for another clinic's appointment on GET, PATCH and DELETE", async () => {
      const [slot] = await daySlots(futureMonday(8));
      const appt = (await clinic.api.post('/api/v1/appointments', { lead_id: leadId, ...slot })).body as Appointment;
      expect((await other.api.get(`/api/v1/appointments/${appt.id}`)).status).toBe(404);
      expect((await other.api.patch(`/api/v1/appointments/${appt.id}`, { notes: 'x' })).status).toBe(404);
      expect((await other.api.delete(`/api/v1/appointments/${appt.id}`)).status).toBe(404);
      expect((await clinic.api.get(`/api/v1/appointments/${appt.id}`)).body.status).toBe('confirmed');
    });

    it('needs appointments:write to book', async () => {
      const { key } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'reader', ['appointments:read']);
      const [slot] = await daySlots(futureMonday(9));
      const res = await srv.client(key).post('/api/v1/appointments', { lead_id: leadId, ...slot });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('insufficient_scope');
    });
  });

  describe('calendar blocks', () => {
    const block = (day: string) => ({ external_source: 'google_calendar', external_id: 'evt_abc123', starts_at: `${day}T15:00:00Z`, ends_at: `${day}T15:30:00Z`, title: 'External consultation' });

    it('upserts idempotently on external_source + external_id and makes the time busy', async () => {
      const day = futureMonday(10);
      const before = await daySlots(day);
      const first = await clinic.api.post('/api/v1/availability/blocks', block(day));
      expect(first.status).toBe(201);
      CalendarBlock.parse(first.body);
      const busyStart = new Date(`${day}T15:00:00Z`).toISOString();
      expect((await daySlots(day)).map((s) => s.scheduled_at)).not.toContain(busyStart);
      const moved = await clinic.api.post('/api/v1/availability/blocks', { ...block(day), starts_at: `${day}T16:00:00Z`, ends_at: `${day}T16:30:00Z` });
      expect(moved.status).toBe(200);
      expect(moved.body.id).toBe(first.body.id);
      const after = await daySlots(day);
      expect(after.map((s) => s.scheduled_at)).toContain(busyStart);
      expect(after).toHaveLength(before.length - 1);
    });

    it('deletes by external source and id with 204, even when already gone', async () => {
      const day = futureMonday(11);
      await clinic.api.post('/api/v1/availability/blocks', { ...block(day), external_id: 'to-delete' });
      const path = '/api/v1/availability/blocks?external_source=google_calendar&external_id=to-delete';
      expect((await clinic.api.delete(path)).status).toBe(204);
      expect((await clinic.api.delete(path)).status).toBe(204);
      expect(await daySlots(day)).toHaveLength(16);
      expect((await clinic.api.delete('/api/v1/availability/blocks?external_source=google_calendar')).status).toBe(400);
    });

    it("never touches another clinic's block", async () => {
      const day = futureMonday(12);
      await other.api.post('/api/v1/availability/blocks', { ...block(day), external_id: 'shared-id' });
      expect((await clinic.api.delete('/api/v1/availability/blocks?external_source=google_calendar&external_id=shared-id')).status).toBe(204);
      const theirs = await srv.running.deps.database.db.selectFrom('calendar_blocks').selectAll().where('clinic_id', '=', other.clinic.id).execute();
      expect(theirs.map((b) => b.external_id)).toContain('shared-id');
    });

    it.each([
      ['ends_at before starts_at', { starts_at: '2031-01-06T15:00:00Z', ends_at: '2031-01-06T14:00:00Z' }, 'ends_at'],
      ['a missing external_id', { external_id: undefined }, 'external_id'],
      ['a bad timestamp', { starts_at: 'tomorrow' }, 'starts_at'],
    ])('refuses %s with 400', async (_name, patch, path) => {
      const res = await clinic.api.post('/api/v1/availability/blocks', { ...block(futureMonday()), ...patch });
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    });
  });
});

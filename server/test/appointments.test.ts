/** /api/v1/appointments through the API, on both backends: every success and failure path, and the events. */
import { Appointment, ErrorBody, Lead, listOf, type Slot } from '../../contract';
import {
  appointmentEvents,
  BOOKING_EVENTS,
  freshClient,
  futureMonday,
  leadEvents,
  localTime,
  nextDay,
  slotsOfDay,
  subscribe,
} from './support/booking';
import { backends } from './support/databases';
import { rawRequest, startTestServer, type ApiClient, type ApiResponse, type TestClinic, type TestServer } from './support/server';

const AppointmentList = listOf(Appointment, 'AppointmentList').strict();
const NY = 'America/New_York';
const MIN = 60_000;
const plus = (instant: string, minutes: number) => new Date(Date.parse(instant) + minutes * MIN).toISOString();
const MISSING = '00000000-0000-4000-8000-000000000000';

function expectError(res: ApiResponse, status: number, code: string, path?: string) {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  const body = ErrorBody.parse(res.body);
  if (path !== undefined) expect(body.details?.map((d) => d.path)).toContain(path);
  return body;
}

describe.each(backends())('appointments on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let api: ApiClient; // a fresh all-scope key of `clinic` per test
  let leadId: string;
  let week = 1; // each test books in its own future week

  /** The open slots of a fresh future Monday. */
  const freshDay = async (): Promise<{ day: string; slots: Slot[] }> => {
    const day = futureMonday(week++);
    const slots = await slotsOfDay(api, day);
    expect(slots).toHaveLength(16);
    return { day, slots };
  };
  const book = (body: Record<string, unknown>, client = api) => client.post('/api/v1/appointments', { lead_id: leadId, ...body });
  const newLead = async (email: string) => Lead.parse((await api.post('/api/v1/leads', { email })).body).id;

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic('Appointments Clinic', NY);
    other = await srv.clinic('Other Clinic', 'Europe/Berlin');
    leadId = Lead.parse((await clinic.api.post('/api/v1/leads', { full_name: 'Booker', phone: '+14155550111' })).body).id;
    // The events the tests read: a booking records its events for a subscription that wants them.
    await subscribe(clinic.api, [...BOOKING_EVENTS, 'appointment.updated', 'appointment.cancelled']);
  });
  beforeEach(async () => {
    api = await freshClient(srv, clinic.clinic.id);
  });
  afterAll(() => srv.close());

  describe('POST /api/v1/appointments', () => {
    it('books a slot straight from GET /availability: 201 confirmed, the slot is gone, the lead is booked, events recorded', async () => {
      const lead = await newLead('first-booking@example.com');
      const { day, slots } = await freshDay();
      const res = await api.post('/api/v1/appointments', { lead_id: lead, ...slots[0]!, title: 'Consultation', notes: 'First visit' });
      expect(res.status).toBe(201);
      const appt = Appointment.parse(res.body);
      expect(appt).toEqual({
        id: expect.any(String),
        lead_id: lead,
        lead_full_name: null,
        lead_first_name: null,
        lead_last_name: null,
        lead_phone: null,
        lead_email: 'first-booking@example.com',
        assigned_to: null,
        assigned_to_name: null,
        status: 'confirmed',
        scheduled_at: slots[0]!.scheduled_at,
        ends_at: slots[0]!.ends_at,
        title: 'Consultation',
        notes: 'First visit',
        created_at: expect.any(String),
        updated_at: expect.any(String),
        cancelled_at: null,
        url: `${srv.url}/dashboard/appointments/${appt.id}`,
      });
      expect((await slotsOfDay(api, day)).map((s) => s.scheduled_at)).not.toContain(slots[0]!.scheduled_at);
      expect((await api.get(`/api/v1/appointments/${appt.id}`)).body).toEqual(res.body);
      // appointment.created carries the object exactly as GET returns it, once.
      expect(await appointmentEvents(srv, 'appointment.created', appt.id)).toEqual([res.body]);
      // The lead became booked, with one lead.updated; a second booking does not repeat it.
      const leadNow = Lead.parse((await api.get(`/api/v1/leads/${lead}`)).body);
      expect(leadNow.status).toBe('booked');
      expect(await leadEvents(srv, 'lead.updated', lead)).toHaveLength(1);
      expect((await api.post('/api/v1/appointments', { lead_id: lead, ...slots[3]! })).status).toBe(201);
      expect(await leadEvents(srv, 'lead.updated', lead)).toHaveLength(1);
    });

    it("carries the lead's contact details in every answer and event: POST, GET, list, PATCH, DELETE", async () => {
      const contact = { lead_full_name: 'Booker', lead_phone: '+14155550111', lead_email: null };
      const { slots } = await freshDay();
      const booked = await book({ ...slots[0]! });
      expect(booked.body).toMatchObject({ lead_id: leadId, ...contact });
      const id = booked.body.id as string;
      expect((await api.get(`/api/v1/appointments/${id}`)).body).toMatchObject(contact);
      const listed = (await api.get(`/api/v1/appointments?lead_id=${leadId}&per_page=100`)).body.data;
      expect(listed.find((a: { id: string }) => a.id === id)).toMatchObject(contact);
      expect((await api.patch(`/api/v1/appointments/${id}`, { title: 'Moved' })).body).toMatchObject(contact);
      expect((await api.delete(`/api/v1/appointments/${id}`)).body).toMatchObject(contact);
      for (const type of ['appointment.created', 'appointment.updated', 'appointment.cancelled']) {
        expect(await appointmentEvents(srv, type, id)).toEqual([expect.objectContaining(contact)]);
      }
    });

    it('answers and records the appointment and the lead byte for byte as GET writes them, whatever their text holds', async () => {
      const { slots } = await freshDay();
      const tricky = 'quote " backslash \\ slash / newline \n tab \t bell \u0007 del \u007f é 日本 😀 ", ": {end}';
      const lead = await api.post('/api/v1/leads', {
        full_name: tricky,
        email: 'fidelity@example.com',
        notes: tricky,
        external_source: 'crm',
        external_id: `fidelity-${backend}`,
        external_metadata: {
          note: tricky,
          nested: { list: [1, 2.5, -3, true, null, 'x, y: z'], empty: {}, none: [] },
          'a key, with: "quotes"': 0,
        },
      });
      expect(lead.status).toBe(201);
      const booked = await api.post('/api/v1/appointments', {
        lead_id: lead.body.id,
        ...slots[0]!,
        title: tricky.slice(0, 200),
        notes: tricky,
        assigned_to: clinic.agents[0]!.id,
      });
      expect(booked.status).toBe(201);
      const appointment = await api.get(`/api/v1/appointments/${booked.body.id}`);
      expect(JSON.stringify(booked.body)).toBe(JSON.stringify(appointment.body));
      const bookedLead = await api.get(`/api/v1/leads/${lead.body.id}`);
      expect(bookedLead.body.status).toBe('booked');
      const payloads = await srv.running.deps.database.db
        .selectFrom('webhook_events')
        .select(['type', 'payload'])
        .where('type', 'in', ['appointment.created', 'lead.updated'])
        .where('payload', 'like', `%${lead.body.id}%`)
        .execute();
      const text = (type: string) => {
        const found = payloads.filter((p) => p.type === type);
        expect(found).toHaveLength(1);
        return found[0]!.payload;
      };
      for (const [type, expected] of [
        ['appointment.created', { appointment: appointment.body }],
        ['lead.updated', { lead: bookedLead.body, previous_attributes: { status: 'new' } }],
      ] as const) {
        const payload = text(type);
        expect(payload).toBe(JSON.stringify(JSON.parse(payload))); // compact, as JSON.stringify writes it
        const envelope = JSON.parse(payload);
        expect(Object.keys(envelope)).toEqual(['id', 'type', 'created', 'data']);
        expect(JSON.stringify(envelope.data)).toBe(JSON.stringify(expected));
      }
    });

    it("runs the seed's booking example with real ids (ends_at given, Z without milliseconds)", async () => {
      const { slots } = await freshDay();
      const res = await api.post('/api/v1/appointments', {
        lead_id: leadId,
        scheduled_at: slots[0]!.scheduled_at.replace('.000Z', 'Z'),
        ends_at: slots[0]!.ends_at.replace('.000Z', 'Z'),
        title: 'Consultation',
      });
      expect(res.status).toBe(201);
      expect(Appointment.parse(res.body)).toMatchObject({ ...slots[0]!, title: 'Consultation', status: 'confirmed' });
    });

    it("defaults ends_at to the clinic's slot length and accepts offsets, answering in UTC with milliseconds", async () => {
      const { slots } = await freshDay();
      const res = await book({ scheduled_at: slots[1]!.scheduled_at });
      expect(res.status).toBe(201);
      expect(res.body.ends_at).toBe(slots[1]!.ends_at);
      // 11:00 New York written with its own offset.
      const offset = new Date(slots[4]!.scheduled_at).getUTCHours() === 15 ? '-04:00' : '-05:00'; // EDT or EST
      const local = `${slots[4]!.scheduled_at.slice(0, 10)}T11:00:00${offset}`;
      const withOffset = await book({ scheduled_at: local });
      expect(withOffset.status).toBe(201);
      expect(withOffset.body.scheduled_at).toBe(slots[4]!.scheduled_at);
      expect(localTime(withOffset.body.scheduled_at, NY)).toBe('11:00');
    });

    it('books any free time inside opening hours, on or off the slot grid, up to closing time', async () => {
      const { slots } = await freshDay();
      const offGrid = await book({ scheduled_at: plus(slots[2]!.scheduled_at, 10), ends_at: plus(slots[2]!.scheduled_at, 25) }); // 10:10-10:25
      expect(offGrid.status).toBe(201);
      const tillClose = await book({ scheduled_at: plus(slots[15]!.ends_at, -45), ends_at: slots[15]!.ends_at }); // 16:15-17:00
      expect(tillClose.status).toBe(201);
      const fromOpen = await book({ scheduled_at: slots[0]!.scheduled_at, ends_at: plus(slots[0]!.scheduled_at, 90) }); // 09:00-10:30
      expect(fromOpen.status).toBe(409); // 10:10-10:25 is taken
      const justBefore = await book({ scheduled_at: slots[0]!.scheduled_at, ends_at: plus(slots[2]!.scheduled_at, 10) }); // 09:00-10:10
      expect(justBefore.status).toBe(201); // touching end to start is not an overlap
    });

    it('assigns an agent of the clinic', async () => {
      const { slots } = await freshDay();
      const agent = clinic.agents[0]!;
      const res = await book({ ...slots[0]!, assigned_to: agent.id });
      expect(res.status).toBe(201);
      expect(res.body.assigned_to).toBe(agent.id);
    });

    it.each([
      ['the exact same slot', (s: Slot[]) => ({ ...s[5]! })],
      [
        'a partial overlap at the start',
        (s: Slot[]) => ({ scheduled_at: plus(s[5]!.scheduled_at, -15), ends_at: plus(s[5]!.scheduled_at, 15) }),
      ],
      ['a partial overlap at the end', (s: Slot[]) => ({ scheduled_at: plus(s[5]!.scheduled_at, 29) })],
      ['a longer time around it', (s: Slot[]) => ({ scheduled_at: s[4]!.scheduled_at, ends_at: s[6]!.ends_at })],
    ])('answers 409 slot_unavailable for %s of a booked appointment', async (_name, body) => {
      const { slots } = await freshDay();
      expect((await book({ ...slots[5]! })).status).toBe(201);
      expectError(await book(body(slots)), 409, 'slot_unavailable');
    });

    it.each([
      ['before opening (08:30-09:00)', (s: Slot[]) => ({ scheduled_at: plus(s[0]!.scheduled_at, -30) })],
      ['straddling opening (08:45-09:15)', (s: Slot[]) => ({ scheduled_at: plus(s[0]!.scheduled_at, -15) })],
      ['straddling closing (16:45-17:15)', (s: Slot[]) => ({ scheduled_at: plus(s[15]!.scheduled_at, 15) })],
      ['after closing (17:00-17:30)', (s: Slot[]) => ({ scheduled_at: s[15]!.ends_at })],
      ['in the middle of the night', (s: Slot[]) => ({ scheduled_at: plus(s[0]!.scheduled_at, -8 * 60) })],
      ['on a Saturday', (s: Slot[]) => ({ scheduled_at: plus(s[0]!.scheduled_at, 5 * 24 * 60) })],
      ['across two days', (s: Slot[]) => ({ scheduled_at: s[15]!.scheduled_at, ends_at: plus(s[0]!.scheduled_at, 24 * 60 + 30) })],
    ])('answers 409 slot_unavailable outside opening hours: %s', async (_name, body) => {
      const { slots } = await freshDay();
      const err = expectError(await book(body(slots)), 409, 'slot_unavailable');
      expect(err.error).toMatch(/opening hours/);
    });

    it('answers 409 for a time overlapping a calendar block', async () => {
      const { day, slots } = await freshDay();
      const block = {
        external_source: 'google_calendar',
        external_id: `appt-blk-${day}`,
        starts_at: slots[8]!.scheduled_at,
        ends_at: plus(slots[8]!.scheduled_at, 40),
      };
      expect((await api.post('/api/v1/availability/blocks', block)).status).toBe(201);
      expectError(await book({ ...slots[8]! }), 409, 'slot_unavailable');
      expectError(await book({ ...slots[9]! }), 409, 'slot_unavailable'); // 13:30-14:00 overlaps 13:00-13:40
      expect((await book({ ...slots[10]! })).status).toBe(201);
    });

    it('books a freed (cancelled) slot again', async () => {
      const { slots } = await freshDay();
      const first = await book({ ...slots[0]! });
      expect((await api.delete(`/api/v1/appointments/${first.body.id}`)).status).toBe(200);
      expect((await book({ ...slots[0]! })).status).toBe(201);
    });

    it.each<[string, () => Record<string, unknown>, string]>([
      [
        'ends_at equal to scheduled_at',
        () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, ends_at: `${futureMonday()}T15:00:00Z` }),
        'ends_at',
      ],
      [
        'ends_at before scheduled_at',
        () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, ends_at: `${futureMonday()}T14:00:00Z` }),
        'ends_at',
      ],
      ['a scheduled_at in the past', () => ({ lead_id: leadId, scheduled_at: '2020-01-06T15:00:00Z' }), 'scheduled_at'],
      [
        'the seed example as printed (April 2026 is past)',
        () => ({ lead_id: leadId, scheduled_at: '2026-04-26T09:00:00Z', ends_at: '2026-04-26T09:30:00Z', title: 'Consultation' }),
        'scheduled_at',
      ],
      [
        'a duration over 24 hours',
        () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, ends_at: `${nextDay(futureMonday(), 2)}T15:00:00Z` }),
        'ends_at',
      ],
      ['a default end past the year 9999', () => ({ lead_id: leadId, scheduled_at: '9999-12-31T23:45:00Z' }), 'ends_at'],
      ['a missing lead_id', () => ({ scheduled_at: `${futureMonday()}T15:00:00Z` }), 'lead_id'],
      ['a lead_id that is not a UUID', () => ({ lead_id: 'c3e8a1d4-...', scheduled_at: `${futureMonday()}T15:00:00Z` }), 'lead_id'],
      ['a missing scheduled_at', () => ({ lead_id: leadId }), 'scheduled_at'],
      ['an unknown field', () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, room: 3 }), ''],
      ['status in the body', () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, status: 'completed' }), ''],
      ['a date without a time', () => ({ lead_id: leadId, scheduled_at: futureMonday() }), 'scheduled_at'],
      ['a date-time without a zone', () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00` }), 'scheduled_at'],
      ['an impossible date', () => ({ lead_id: leadId, scheduled_at: '2031-02-30T15:00:00Z' }), 'scheduled_at'],
      ['a number for a timestamp', () => ({ lead_id: leadId, scheduled_at: 1_900_000_000_000 }), 'scheduled_at'],
      ['an empty title', () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, title: '' }), 'title'],
      [
        'a title over 200 characters',
        () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, title: 'x'.repeat(201) }),
        'title',
      ],
      ['an unknown agent', () => ({ lead_id: leadId, scheduled_at: `${futureMonday()}T15:00:00Z`, assigned_to: MISSING }), 'assigned_to'],
    ])('answers 400 invalid_input for %s', async (_name, body, path) => {
      const before = (await api.get('/api/v1/appointments?per_page=1')).body.meta.total;
      expectError(await api.post('/api/v1/appointments', body()), 400, 'invalid_input', path);
      expect((await api.get('/api/v1/appointments?per_page=1')).body.meta.total).toBe(before);
    });

    it("answers 400 for another clinic's agent", async () => {
      const { slots } = await freshDay();
      expectError(await book({ ...slots[0]!, assigned_to: other.agents[0]!.id }), 400, 'invalid_input', 'assigned_to');
    });

    it.each([
      ['malformed JSON', '{"lead_id": '],
      ['a JSON array', '[]'],
      ['JSON null', 'null'],
    ])('answers 400 for %s', async (_name, raw) => {
      const res = await api.request('POST', '/api/v1/appointments', raw, { 'content-type': 'application/json' });
      expectError(res, 400, 'invalid_input');
    });

    it("answers 404 not_found for another clinic's lead and for a lead that does not exist", async () => {
      const theirLead = Lead.parse((await other.api.post('/api/v1/leads', { email: 'their@example.com' })).body).id;
      const { slots } = await freshDay();
      const err = expectError(await book({ ...slots[0]!, lead_id: theirLead }), 404, 'not_found');
      expect(err.error).toBe('Lead not found');
      expectError(await book({ ...slots[0]!, lead_id: MISSING }), 404, 'not_found');
      expect((await slotsOfDay(api, slots[0]!.scheduled_at.slice(0, 10)))[0]).toEqual(slots[0]);
    });
  });

  describe('GET /api/v1/appointments', () => {
    let lead2: string;
    let ids: string[];
    let day: string;

    beforeAll(async () => {
      const setup = await freshClient(srv, clinic.clinic.id);
      lead2 = Lead.parse((await setup.post('/api/v1/leads', { email: 'list-lead@example.com' })).body).id;
      day = futureMonday(80);
      const slots = await slotsOfDay(setup, day);
      ids = [];
      for (const [i, slot] of slots.slice(0, 4).entries()) {
        const res = await setup.post('/api/v1/appointments', { lead_id: lead2, ...slot, title: `List ${i}` });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
      expect((await setup.delete(`/api/v1/appointments/${ids[1]}`)).status).toBe(200);
      expect((await setup.post('/api/v1/appointments', { lead_id: lead2, ...(await slotsOfDay(setup, nextDay(day, 1)))[0]! })).status).toBe(
        201,
      );
    });

    it('lists newest first with pagination meta, validated against the contract', async () => {
      const res = await api.get(`/api/v1/appointments?lead_id=${lead2}`);
      expect(res.status).toBe(200);
      const list = AppointmentList.parse(res.body);
      expect(list.meta).toEqual({ page: 1, per_page: 25, total: 5 });
      expect(list.data.slice(1).map((a) => a.id)).toEqual([...ids].reverse());
      const created = list.data.map((a) => a.created_at);
      expect([...created].sort().reverse()).toEqual(created);
      const page2 = AppointmentList.parse((await api.get(`/api/v1/appointments?lead_id=${lead2}&per_page=2&page=2`)).body);
      expect(page2.meta).toEqual({ page: 2, per_page: 2, total: 5 });
      expect(page2.data).toEqual(list.data.slice(2, 4));
      expect(AppointmentList.parse((await api.get(`/api/v1/appointments?lead_id=${lead2}&page=9`)).body).data).toEqual([]);
    });

    it('filters by status', async () => {
      const cancelled = AppointmentList.parse((await api.get(`/api/v1/appointments?lead_id=${lead2}&status=cancelled`)).body);
      expect(cancelled.data.map((a) => a.id)).toEqual([ids[1]]);
      const confirmed = AppointmentList.parse((await api.get(`/api/v1/appointments?lead_id=${lead2}&status=confirmed`)).body);
      expect(confirmed.meta.total).toBe(4);
      expect(confirmed.data.every((a) => a.status === 'confirmed')).toBe(true);
    });

    it('filters on scheduled_at with from (inclusive) and to (exclusive), as days in clinic time or instants', async () => {
      const inDay = AppointmentList.parse((await api.get(`/api/v1/appointments?lead_id=${lead2}&from=${day}&to=${nextDay(day)}`)).body);
      expect(inDay.data.map((a) => a.id).sort()).toEqual([...ids].sort());
      const first = inDay.data.find((a) => a.id === ids[0])!;
      const fromInstant = AppointmentList.parse(
        (await api.get(`/api/v1/appointments?lead_id=${lead2}&from=${first.ends_at}&to=${nextDay(day)}`)).body,
      );
      expect(fromInstant.data.map((a) => a.id).sort()).toEqual(ids.slice(1).sort());
      const toInstant = AppointmentList.parse((await api.get(`/api/v1/appointments?lead_id=${lead2}&to=${first.ends_at}`)).body);
      expect(toInstant.data.map((a) => a.id)).toEqual([ids[0]]);
      const later = AppointmentList.parse((await api.get(`/api/v1/appointments?lead_id=${lead2}&from=${nextDay(day)}`)).body);
      expect(later.meta.total).toBe(1);
      expect(
        AppointmentList.parse((await api.get('/api/v1/appointments?from=0001-01-01&to=9999-12-31&per_page=1')).body).meta.total,
      ).toBeGreaterThanOrEqual(5);
    });

    it("filters by lead and never shows another clinic's appointments", async () => {
      expect(AppointmentList.parse((await api.get(`/api/v1/appointments?lead_id=${MISSING}`)).body).meta.total).toBe(0);
      const theirs = AppointmentList.parse((await other.api.get('/api/v1/appointments?per_page=100')).body);
      expect(theirs.data.some((a) => ids.includes(a.id))).toBe(false);
      expect(AppointmentList.parse((await other.api.get(`/api/v1/appointments?lead_id=${lead2}`)).body).meta.total).toBe(0);
    });

    it.each([
      ['an unknown status', 'status=booked', 'status'],
      ['a bad from', 'from=2026-13-01', 'from'],
      ['a bad to', 'to=soon', 'to'],
      ['a bad lead_id', 'lead_id=42', 'lead_id'],
      ['per_page over 100', 'per_page=101', 'per_page'],
      ['page 0', 'page=0', 'page'],
    ])('answers 400 for %s', async (_name, query, path) => {
      expectError(await api.get(`/api/v1/appointments?${query}`), 400, 'invalid_input', path);
    });
  });

  describe('GET /api/v1/appointments/{id}', () => {
    it("returns one appointment, 404 for another clinic's or an unknown id, 400 for a malformed id", async () => {
      const { slots } = await freshDay();
      const created = await book({ ...slots[0]! });
      const res = await api.get(`/api/v1/appointments/${created.body.id}`);
      expect(res.status).toBe(200);
      expect(Appointment.parse(res.body)).toEqual(created.body);
      expectError(await other.api.get(`/api/v1/appointments/${created.body.id}`), 404, 'not_found');
      expectError(await api.get(`/api/v1/appointments/${MISSING}`), 404, 'not_found');
      expectError(await api.get('/api/v1/appointments/not-a-uuid'), 400, 'invalid_input', 'id');
    });
  });

  describe('PATCH /api/v1/appointments/{id}', () => {
    it('reschedules under the booking rules, keeps the length, frees the old time, and records appointment.updated', async () => {
      const { day, slots } = await freshDay();
      const appt = Appointment.parse((await book({ ...slots[0]!, title: 'Original' })).body);
      const moved = await api.patch(`/api/v1/appointments/${appt.id}`, { scheduled_at: slots[4]!.scheduled_at, notes: 'moved' });
      expect(moved.status).toBe(200);
      expect(Appointment.parse(moved.body)).toEqual({
        ...appt,
        scheduled_at: slots[4]!.scheduled_at,
        ends_at: slots[4]!.ends_at,
        notes: 'moved',
        updated_at: expect.any(String),
      });
      expect(Date.parse(moved.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(appt.updated_at));
      const open = (await slotsOfDay(api, day)).map((s) => s.scheduled_at);
      expect(open).toContain(slots[0]!.scheduled_at);
      expect(open).not.toContain(slots[4]!.scheduled_at);
      // Extending over its own old time (overlapping only itself) is fine.
      const longer = await api.patch(`/api/v1/appointments/${appt.id}`, { ends_at: slots[5]!.ends_at });
      expect(longer.status).toBe(200);
      expect(longer.body).toMatchObject({ scheduled_at: slots[4]!.scheduled_at, ends_at: slots[5]!.ends_at });
      const both = await api.patch(`/api/v1/appointments/${appt.id}`, {
        scheduled_at: slots[10]!.scheduled_at,
        ends_at: slots[10]!.ends_at,
      });
      expect(both.status).toBe(200);
      expect(both.body).toMatchObject(slots[10]!);
      const events = await appointmentEvents(srv, 'appointment.updated', appt.id);
      expect(events).toHaveLength(3);
      expect(events).toEqual(expect.arrayContaining([moved.body, longer.body, both.body]));
      expect((await api.get(`/api/v1/appointments/${appt.id}`)).body).toEqual(both.body);
    });

    it('changes title, notes, assigned_to (and back to null) and status confirmed|completed|no_show', async () => {
      const { slots } = await freshDay();
      const appt = Appointment.parse((await book({ ...slots[0]! })).body);
      const agent = clinic.agents[1]!;
      const steps: Array<[Record<string, unknown>, Partial<Appointment>]> = [
        [
          { title: 'Follow-up', notes: 'Bring x-rays' },
          { title: 'Follow-up', notes: 'Bring x-rays' },
        ],
        [{ assigned_to: agent.id }, { assigned_to: agent.id }],
        [
          { assigned_to: null, title: null },
          { assigned_to: null, title: null },
        ],
        [{ status: 'completed' }, { status: 'completed' }],
        [{ status: 'no_show' }, { status: 'no_show' }],
        [{ status: 'confirmed' }, { status: 'confirmed' }],
      ];
      for (const [patch, expected] of steps) {
        const res = await api.patch(`/api/v1/appointments/${appt.id}`, patch);
        expect(res.status).toBe(200);
        expect(Appointment.parse(res.body)).toMatchObject({ ...expected, scheduled_at: appt.scheduled_at, cancelled_at: null });
      }
      expect(await appointmentEvents(srv, 'appointment.updated', appt.id)).toHaveLength(steps.length);
    });

    it('answers 409 when the new time is taken, blocked or outside opening hours, and changes nothing', async () => {
      const { day, slots } = await freshDay();
      const appt = Appointment.parse((await book({ ...slots[0]! })).body);
      const blocker = Appointment.parse((await book({ ...slots[2]! })).body);
      expect(
        (
          await api.post('/api/v1/availability/blocks', {
            external_source: 'ical',
            external_id: `patch-${day}`,
            starts_at: slots[6]!.scheduled_at,
            ends_at: slots[6]!.ends_at,
          })
        ).status,
      ).toBe(201);
      for (const patch of [
        { scheduled_at: blocker.scheduled_at },
        { scheduled_at: plus(blocker.scheduled_at, -15) },
        { scheduled_at: slots[6]!.scheduled_at },
        { scheduled_at: plus(slots[0]!.scheduled_at, -60) },
        { scheduled_at: slots[15]!.scheduled_at, ends_at: plus(slots[15]!.ends_at, 30) },
        { ends_at: slots[2]!.ends_at }, // growing into the blocker
      ]) {
        expectError(await api.patch(`/api/v1/appointments/${appt.id}`, patch), 409, 'slot_unavailable');
      }
      expect((await api.get(`/api/v1/appointments/${appt.id}`)).body).toEqual(appt);
      expect(await appointmentEvents(srv, 'appointment.updated', appt.id)).toEqual([]);
    });

    it.each<[string, (a: Appointment) => Record<string, unknown>, string]>([
      ['an empty body', () => ({}), ''],
      ['status cancelled (cancel with DELETE)', () => ({ status: 'cancelled' }), 'status'],
      ['an unknown status', () => ({ status: 'done' }), 'status'],
      ['an unknown field', () => ({ lead_id: MISSING }), ''],
      ['ends_at equal to scheduled_at', (a) => ({ ends_at: a.scheduled_at }), 'ends_at'],
      ['ends_at before scheduled_at', (a) => ({ ends_at: plus(a.scheduled_at, -30) }), 'ends_at'],
      ['a time in the past', () => ({ scheduled_at: '2020-01-06T15:00:00Z' }), 'scheduled_at'],
      ['a bad timestamp', () => ({ scheduled_at: 'next tuesday' }), 'scheduled_at'],
      ['an unknown agent', () => ({ assigned_to: MISSING }), 'assigned_to'],
      ['an empty title', () => ({ title: '' }), 'title'],
    ])('answers 400 invalid_input for %s', async (_name, patch, path) => {
      const { slots } = await freshDay();
      const appt = Appointment.parse((await book({ ...slots[0]! })).body);
      expectError(await api.patch(`/api/v1/appointments/${appt.id}`, patch(appt)), 400, 'invalid_input', path);
      expect((await api.get(`/api/v1/appointments/${appt.id}`)).body).toEqual(appt);
    });

    it('answers 400 for a cancelled appointment, and 404 for another clinic or an unknown id', async () => {
      const { slots } = await freshDay();
      const appt = Appointment.parse((await book({ ...slots[0]! })).body);
      expectError(await other.api.patch(`/api/v1/appointments/${appt.id}`, { notes: 'x' }), 404, 'not_found');
      expectError(await api.patch(`/api/v1/appointments/${MISSING}`, { notes: 'x' }), 404, 'not_found');
      expect((await api.delete(`/api/v1/appointments/${appt.id}`)).status).toBe(200);
      const err = expectError(await api.patch(`/api/v1/appointments/${appt.id}`, { notes: 'x' }), 400, 'invalid_input');
      expect(err.error).toMatch(/cancelled/);
      expectError(await api.patch(`/api/v1/appointments/${appt.id}`, { scheduled_at: slots[3]!.scheduled_at }), 400, 'invalid_input');
      expect(await appointmentEvents(srv, 'appointment.updated', appt.id)).toEqual([]);
    });
  });

  describe('DELETE /api/v1/appointments/{id}', () => {
    it('soft-cancels, frees the slot, records appointment.cancelled once, and repeats harmlessly', async () => {
      const { day, slots } = await freshDay();
      const appt = Appointment.parse((await book({ ...slots[0]! })).body);
      const cancelled = await api.delete(`/api/v1/appointments/${appt.id}`);
      expect(cancelled.status).toBe(200);
      expect(Appointment.parse(cancelled.body)).toEqual({
        ...appt,
        status: 'cancelled',
        cancelled_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const again = await api.delete(`/api/v1/appointments/${appt.id}`);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(cancelled.body);
      expect(await appointmentEvents(srv, 'appointment.cancelled', appt.id)).toEqual([cancelled.body]);
      expect(await appointmentEvents(srv, 'appointment.updated', appt.id)).toEqual([]);
      expect((await slotsOfDay(api, day))[0]).toEqual(slots[0]);
      expect((await api.get(`/api/v1/appointments/${appt.id}`)).body).toEqual(cancelled.body);
    });

    it("answers 404 for another clinic's appointment or an unknown id, leaving it untouched", async () => {
      const { slots } = await freshDay();
      const appt = Appointment.parse((await book({ ...slots[0]! })).body);
      expectError(await other.api.delete(`/api/v1/appointments/${appt.id}`), 404, 'not_found');
      expectError(await api.delete(`/api/v1/appointments/${MISSING}`), 404, 'not_found');
      expectError(await api.delete('/api/v1/appointments/123'), 400, 'invalid_input', 'id');
      expect((await api.get(`/api/v1/appointments/${appt.id}`)).body.status).toBe('confirmed');
      expect(await appointmentEvents(srv, 'appointment.cancelled', appt.id)).toEqual([]);
    });
  });

  describe('authentication and scopes', () => {
    let apptId: string;
    beforeAll(async () => {
      const setup = await freshClient(srv, clinic.clinic.id);
      const [slot] = await slotsOfDay(setup, futureMonday(81));
      apptId = (await setup.post('/api/v1/appointments', { lead_id: leadId, ...slot })).body.id;
    });

    const calls = (id: () => string) =>
      [
        [
          'POST /appointments',
          'appointments:write',
          (c: ApiClient) => c.post('/api/v1/appointments', { lead_id: leadId, scheduled_at: `${futureMonday(82)}T15:00:00Z` }),
        ],
        ['GET /appointments', 'appointments:read', (c: ApiClient) => c.get('/api/v1/appointments')],
        ['GET /appointments/{id}', 'appointments:read', (c: ApiClient) => c.get(`/api/v1/appointments/${id()}`)],
        ['PATCH /appointments/{id}', 'appointments:write', (c: ApiClient) => c.patch(`/api/v1/appointments/${id()}`, { notes: 'scoped' })],
        ['DELETE /appointments/{id}', 'appointments:write', (c: ApiClient) => c.delete(`/api/v1/appointments/${id()}`)],
      ] as const;

    it.each(calls(() => apptId))('%s answers 401 without a valid key', async (_name, _scope, call) => {
      expectError(await call(srv.client('qbk_live_wrongwrongwrongwrongwrongwrong')), 401, 'unauthorized');
    });

    it.each(calls(() => apptId))('%s answers 403 insufficient_scope without %s', async (_name, scope, call) => {
      const opposite = scope === 'appointments:read' ? 'appointments:write' : 'appointments:read';
      const client = await freshClient(srv, clinic.clinic.id, [
        opposite,
        'availability:read',
        'availability:write',
        'leads:read',
        'leads:write',
      ]);
      expectError(await call(client), 403, 'insufficient_scope');
      expect((await api.get(`/api/v1/appointments/${apptId}`)).body).toMatchObject({ status: 'confirmed', notes: null });
    });

    it('answers 401 without any Authorization header', async () => {
      expectError(await rawRequest(srv.url, 'GET', '/api/v1/appointments'), 401, 'unauthorized');
      expectError(
        await rawRequest(srv.url, 'POST', '/api/v1/appointments', { lead_id: leadId, scheduled_at: `${futureMonday(82)}T15:00:00Z` }),
        401,
        'unauthorized',
      );
    });
  });
});

/** /api/v1/availability/blocks through the API, on both backends: idempotent upsert, delete, busy time. */
import { Appointment, CalendarBlock, ErrorBody, Lead, type Slot } from '../../contract';
import { freshClient, futureMonday, slotsOfDay } from './support/booking';
import { backends } from './support/databases';
import { rawRequest, startTestServer, type ApiClient, type ApiResponse, type TestClinic, type TestServer } from './support/server';

const BLOCKS = '/api/v1/availability/blocks';
const MIN = 60_000;
const plus = (instant: string, minutes: number) => new Date(Date.parse(instant) + minutes * MIN).toISOString();
const deletePath = (source: string, id: string) =>
  `${BLOCKS}?external_source=${encodeURIComponent(source)}&external_id=${encodeURIComponent(id)}`;

function expectError(res: ApiResponse, status: number, code: string, path?: string) {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  const body = ErrorBody.parse(res.body);
  if (path !== undefined) expect(body.details?.map((d) => d.path)).toContain(path);
}

describe.each(backends())('calendar blocks on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let api: ApiClient;
  let leadId: string;
  let week = 1;

  const freshDay = async (): Promise<{ day: string; slots: Slot[] }> => {
    const day = futureMonday(week++);
    const slots = await slotsOfDay(api, day);
    expect(slots).toHaveLength(16);
    return { day, slots };
  };
  const storedBlocks = (clinicId: string) =>
    srv.running.deps.database.db.selectFrom('calendar_blocks').selectAll().where('clinic_id', '=', clinicId).execute();

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic('Blocks Clinic', 'America/New_York');
    other = await srv.clinic('Other Blocks Clinic', 'America/New_York');
    leadId = Lead.parse((await clinic.api.post('/api/v1/leads', { email: 'blocks@example.com' })).body).id;
  });
  beforeEach(async () => {
    api = await freshClient(srv, clinic.clinic.id);
  });
  afterAll(() => srv.close());

  it("runs the seed's curl example verbatim: 201 the first time, 200 with the same id after", async () => {
    const body = {
      external_source: 'google_calendar',
      external_id: 'evt_abc123',
      starts_at: '2026-05-15T11:00:00Z',
      ends_at: '2026-05-15T11:30:00Z',
      title: 'External consultation',
    };
    const first = await api.post(BLOCKS, body);
    expect(first.status).toBe(201);
    expect(CalendarBlock.parse(first.body)).toEqual({
      id: expect.any(String),
      external_source: 'google_calendar',
      external_id: 'evt_abc123',
      starts_at: '2026-05-15T11:00:00.000Z',
      ends_at: '2026-05-15T11:30:00.000Z',
      title: 'External consultation',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const again = await api.post(BLOCKS, body);
    expect(again.status).toBe(200);
    expect(CalendarBlock.parse(again.body)).toMatchObject({
      id: first.body.id,
      created_at: first.body.created_at,
      starts_at: first.body.starts_at,
    });
    expect((await storedBlocks(clinic.clinic.id)).filter((b) => b.external_id === 'evt_abc123')).toHaveLength(1);
    expect((await api.delete(deletePath('google_calendar', 'evt_abc123'))).status).toBe(204);
  });

  it('makes the time busy, and an update moves the busy time (same id, old time freed)', async () => {
    const { day, slots } = await freshDay();
    const first = await api.post(BLOCKS, {
      external_source: 'outlook',
      external_id: `move-${day}`,
      starts_at: slots[2]!.scheduled_at,
      ends_at: slots[3]!.ends_at,
    });
    expect(first.status).toBe(201);
    const busy = (await slotsOfDay(api, day)).map((s) => s.scheduled_at);
    expect(busy).toHaveLength(14);
    expect(busy).not.toContain(slots[2]!.scheduled_at);
    expect(busy).not.toContain(slots[3]!.scheduled_at);
    const moved = await api.post(BLOCKS, {
      external_source: 'outlook',
      external_id: `move-${day}`,
      starts_at: slots[10]!.scheduled_at,
      ends_at: plus(slots[10]!.scheduled_at, 5),
      title: 'Moved',
    });
    expect(moved.status).toBe(200);
    expect(CalendarBlock.parse(moved.body)).toMatchObject({ id: first.body.id, starts_at: slots[10]!.scheduled_at, title: 'Moved' });
    expect(Date.parse(moved.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(first.body.updated_at));
    const after = (await slotsOfDay(api, day)).map((s) => s.scheduled_at);
    expect(after).toEqual(slots.filter((_, i) => i !== 10).map((s) => s.scheduled_at));
    // Re-sending without a title clears it.
    const untitled = await api.post(BLOCKS, {
      external_source: 'outlook',
      external_id: `move-${day}`,
      starts_at: slots[10]!.scheduled_at,
      ends_at: slots[10]!.ends_at,
    });
    expect(untitled.status).toBe(200);
    expect(untitled.body.title).toBeNull();
  });

  it('keys on the pair: another external_id or external_source is another block', async () => {
    const { day, slots } = await freshDay();
    const a = await api.post(BLOCKS, {
      external_source: 'google_calendar',
      external_id: `pair-${day}`,
      ...{ starts_at: slots[0]!.scheduled_at, ends_at: slots[0]!.ends_at },
    });
    const b = await api.post(BLOCKS, {
      external_source: 'outlook',
      external_id: `pair-${day}`,
      ...{ starts_at: slots[1]!.scheduled_at, ends_at: slots[1]!.ends_at },
    });
    const c = await api.post(BLOCKS, {
      external_source: 'google_calendar',
      external_id: `pair-${day}-2`,
      ...{ starts_at: slots[2]!.scheduled_at, ends_at: slots[2]!.ends_at },
    });
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(3);
    expect(await slotsOfDay(api, day)).toEqual(slots.slice(3));
  });

  it('may overlap existing appointments, which stay booked; new bookings over it answer 409', async () => {
    const { day, slots } = await freshDay();
    const appt = Appointment.parse((await api.post('/api/v1/appointments', { lead_id: leadId, ...slots[4]! })).body);
    const block = await api.post(BLOCKS, {
      external_source: 'google_calendar',
      external_id: `over-${day}`,
      starts_at: slots[4]!.scheduled_at,
      ends_at: slots[6]!.ends_at,
    });
    expect(block.status).toBe(201);
    expect((await api.get(`/api/v1/appointments/${appt.id}`)).body).toEqual(appt);
    const open = (await slotsOfDay(api, day)).map((s) => s.scheduled_at);
    expect(open).not.toContain(slots[5]!.scheduled_at);
    expect(open).not.toContain(slots[6]!.scheduled_at);
    const res = await api.post('/api/v1/appointments', { lead_id: leadId, ...slots[5]! });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('slot_unavailable');
    // Rescheduling into the block is refused too.
    const moving = Appointment.parse((await api.post('/api/v1/appointments', { lead_id: leadId, ...slots[12]! })).body);
    expect((await api.patch(`/api/v1/appointments/${moving.id}`, { scheduled_at: slots[6]!.scheduled_at })).status).toBe(409);
  });

  it('deletes by external_source and external_id with 204, frees the time, and answers 204 again when gone', async () => {
    const { day, slots } = await freshDay();
    expect(
      (
        await api.post(BLOCKS, {
          external_source: 'cal.com',
          external_id: 'booking/42 & more',
          starts_at: slots[0]!.scheduled_at,
          ends_at: slots[15]!.ends_at,
        })
      ).status,
    ).toBe(201);
    expect(await slotsOfDay(api, day)).toEqual([]);
    const path = deletePath('cal.com', 'booking/42 & more');
    const gone = await api.delete(path);
    expect(gone.status).toBe(204);
    expect(gone.body).toBeUndefined();
    expect(await slotsOfDay(api, day)).toEqual(slots);
    expect((await api.delete(path)).status).toBe(204);
    expect((await api.delete(deletePath('never', 'existed'))).status).toBe(204);
    expect((await storedBlocks(clinic.clinic.id)).some((b) => b.external_id === 'booking/42 & more')).toBe(false);
  });

  it("is per clinic: the same pair in two clinics is two blocks, and a delete never touches the other clinic's", async () => {
    const { day, slots } = await freshDay();
    const body = {
      external_source: 'google_calendar',
      external_id: `shared-${day}`,
      starts_at: slots[0]!.scheduled_at,
      ends_at: slots[0]!.ends_at,
    };
    const mine = await api.post(BLOCKS, body);
    const theirs = await other.api.post(BLOCKS, body);
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(mine.body.id).not.toBe(theirs.body.id);
    expect((await api.delete(deletePath('google_calendar', `shared-${day}`))).status).toBe(204);
    expect((await storedBlocks(other.clinic.id)).map((b) => b.id)).toContain(theirs.body.id);
    expect((await slotsOfDay(other.api, day)).map((s) => s.scheduled_at)).not.toContain(slots[0]!.scheduled_at);
    expect((await slotsOfDay(api, day))[0]).toEqual(slots[0]);
  });

  it('stores past and far-away times exactly (years 0001 and 9999 round-trip)', async () => {
    const res = await api.post(BLOCKS, {
      external_source: 'archive',
      external_id: 'forever',
      starts_at: '0001-01-01T00:00:00Z',
      ends_at: '9999-12-31T23:59:59.999Z',
    });
    expect(res.status).toBe(201);
    expect(CalendarBlock.parse(res.body)).toMatchObject({ starts_at: '0001-01-01T00:00:00.000Z', ends_at: '9999-12-31T23:59:59.999Z' });
    // Everything is busy now.
    expect((await api.get('/api/v1/availability?limit=5')).body.data).toEqual([]);
    expect((await api.delete(deletePath('archive', 'forever'))).status).toBe(204);
    expect((await api.get('/api/v1/availability?limit=5')).body.data).toHaveLength(5);
  });

  const valid = {
    external_source: 'google_calendar',
    external_id: 'bad-input',
    starts_at: '2031-01-06T15:00:00Z',
    ends_at: '2031-01-06T15:30:00Z',
  };
  it.each<[string, Record<string, unknown>, string]>([
    ['ends_at equal to starts_at', { ...valid, ends_at: valid.starts_at }, 'ends_at'],
    ['ends_at before starts_at', { ...valid, ends_at: '2031-01-06T14:00:00Z' }, 'ends_at'],
    ['a missing external_source', { ...valid, external_source: undefined }, 'external_source'],
    ['a missing external_id', { ...valid, external_id: undefined }, 'external_id'],
    ['an empty external_id', { ...valid, external_id: '  ' }, 'external_id'],
    ['an external_id over 200 characters', { ...valid, external_id: 'x'.repeat(201) }, 'external_id'],
    ['a missing starts_at', { ...valid, starts_at: undefined }, 'starts_at'],
    ['a word for a timestamp', { ...valid, starts_at: 'tomorrow' }, 'starts_at'],
    ['a date without a time', { ...valid, ends_at: '2031-01-07' }, 'ends_at'],
    ['a title over 200 characters', { ...valid, title: 't'.repeat(201) }, 'title'],
    ['an unknown field', { ...valid, calendar_id: 'primary' }, ''],
  ])('refuses %s with 400 invalid_input and stores nothing', async (_name, body, path) => {
    const before = (await storedBlocks(clinic.clinic.id)).length;
    expectError(await api.post(BLOCKS, body), 400, 'invalid_input', path);
    expect(await storedBlocks(clinic.clinic.id)).toHaveLength(before);
  });

  it.each([
    ['no parameters', BLOCKS, 'external_source'],
    ['no external_id', `${BLOCKS}?external_source=google_calendar`, 'external_id'],
    ['no external_source', `${BLOCKS}?external_id=evt_abc123`, 'external_source'],
    ['an empty external_id', `${BLOCKS}?external_source=google_calendar&external_id=`, 'external_id'],
  ])('refuses a DELETE with %s with 400', async (_name, path, detail) => {
    expectError(await api.delete(path), 400, 'invalid_input', detail);
  });

  it('needs a valid key (401) with availability:write (403) for both calls', async () => {
    const body = { ...valid, external_id: 'scoped' };
    expectError(await rawRequest(srv.url, 'POST', BLOCKS, body), 401, 'unauthorized');
    expectError(await rawRequest(srv.url, 'DELETE', deletePath('google_calendar', 'scoped')), 401, 'unauthorized');
    expectError(await srv.client('qbk_live_invalidinvalidinvalidinvalid').post(BLOCKS, body), 401, 'unauthorized');
    const reader = await freshClient(srv, clinic.clinic.id, ['availability:read', 'appointments:read', 'appointments:write']);
    expectError(await reader.post(BLOCKS, body), 403, 'insufficient_scope');
    expectError(await reader.delete(deletePath('google_calendar', 'scoped')), 403, 'insufficient_scope');
    expect((await storedBlocks(clinic.clinic.id)).some((b) => b.external_id === 'scoped')).toBe(false);
    const writer = await freshClient(srv, clinic.clinic.id, ['availability:write']);
    expect((await writer.post(BLOCKS, body)).status).toBe(201);
    expect((await writer.delete(deletePath('google_calendar', 'scoped'))).status).toBe(204);
  });
});

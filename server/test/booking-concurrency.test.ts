/** 50 simultaneous bookings of one slot: exactly one wins, on both backends. */
import { Appointment, Slot } from '../../contract';
import { appointmentEvents, freshClient, futureMonday, slotsOfDay, subscribe } from './support/booking';
import { backends } from './support/databases';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

/** How many answers of each kind ("201", "409 slot_unavailable"): a failure shows every answer seen. */
function outcomes(results: { status: number; body: { code?: string } }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const kind = r.body?.code ? `${r.status} ${r.body.code}` : String(r.status);
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

describe.each(backends())('concurrent booking on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let leadId: string;

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic();
    const lead = await clinic.api.post('/api/v1/leads', { full_name: 'Race Test', phone: '+14155550100' });
    leadId = lead.body.id;
    await subscribe(clinic.api);
  });
  afterAll(() => srv.close());

  it('gives exactly one 201 and 49 409 slot_unavailable for 50 bookings of one slot', async () => {
    const slots = await clinic.api.get('/api/v1/availability?limit=1');
    const slot = Slot.parse(slots.body.data[0]);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => clinic.api.post('/api/v1/appointments', { lead_id: leadId, ...slot })),
    );
    expect(outcomes(results)).toEqual({ '201': 1, '409 slot_unavailable': 49 });
    const winner = Appointment.parse(results.find((r) => r.status === 201)!.body);
    const stored = await srv.running.deps.database.db
      .selectFrom('appointments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('scheduled_at', '=', new Date(winner.scheduled_at))
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(1);
    // Only the winner's transaction committed an event.
    expect(await appointmentEvents(srv, 'appointment.created', winner.id)).toEqual([winner]);
    const created = await srv.running.deps.database.db
      .selectFrom('webhook_events')
      .select('id')
      .where('type', '=', 'appointment.created')
      .execute();
    expect(created).toHaveLength(1);
  });

  it('lets exactly one of 20 different but overlapping bookings through', async () => {
    const api = await freshClient(srv, clinic.clinic.id);
    const [slot] = await slotsOfDay(api, futureMonday(3)); // 09:00 clinic time
    const base = Date.parse(slot!.scheduled_at);
    // Every interval contains 09:30-09:31: starts 09:01..09:20, each 30 minutes long.
    const bodies = Array.from({ length: 20 }, (_, i) => ({
      lead_id: leadId,
      scheduled_at: new Date(base + (i + 1) * 60_000).toISOString(),
      ends_at: new Date(base + (i + 31) * 60_000).toISOString(),
    }));
    const results = await Promise.all(bodies.map((b) => api.post('/api/v1/appointments', b)));
    expect(outcomes(results)).toEqual({ '201': 1, '409 slot_unavailable': 19 });
  });

  it('lets exactly one of 10 concurrent reschedules into one slot through', async () => {
    const api = await freshClient(srv, clinic.clinic.id);
    const slots = await slotsOfDay(api, futureMonday(4));
    const appts: Appointment[] = [];
    for (const slot of slots.slice(0, 10))
      appts.push(Appointment.parse((await api.post('/api/v1/appointments', { lead_id: leadId, ...slot })).body));
    const target = slots[12]!;
    const results = await Promise.all(appts.map((a) => api.patch(`/api/v1/appointments/${a.id}`, { scheduled_at: target.scheduled_at })));
    expect(outcomes(results)).toEqual({ '200': 1, '409 slot_unavailable': 9 });
    const moved = Appointment.parse(results.find((r) => r.status === 200)!.body);
    expect(moved).toMatchObject(target);
    const updated = await Promise.all(appts.map((a) => appointmentEvents(srv, 'appointment.updated', a.id)));
    expect(updated.flat()).toEqual([moved]);
  });

  it('is enforced by the database itself: an overlapping insert that skips the code checks fails', async () => {
    const { db } = srv.running.deps.database;
    const existing = await db.selectFrom('appointments').selectAll().where('status', '=', 'confirmed').executeTakeFirstOrThrow();
    const overlapping = db.insertInto('appointments').values({
      clinic_id: existing.clinic_id,
      lead_id: existing.lead_id,
      scheduled_at: new Date(existing.scheduled_at.getTime() + 10 * 60_000),
      ends_at: new Date(existing.ends_at.getTime() + 10 * 60_000),
    });
    await expect(overlapping.execute()).rejects.toMatchObject({ code: '23P01' });
    // A cancelled row does not hold the slot.
    await expect(
      db
        .insertInto('appointments')
        .values({
          clinic_id: existing.clinic_id,
          lead_id: existing.lead_id,
          status: 'cancelled',
          scheduled_at: existing.scheduled_at,
          ends_at: existing.ends_at,
        })
        .execute(),
    ).resolves.toBeDefined();
  });
});

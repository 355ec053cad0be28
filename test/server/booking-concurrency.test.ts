/** 50 simultaneous bookings of one slot: exactly one wins, on both backends. */
import { Appointment, Slot } from '../../contract';
import { backends } from '../support/databases';
import { startTestServer, type TestClinic, type TestServer } from '../support/server';

describe.each(backends())('concurrent booking on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let leadId: string;

  beforeAll(async () => {
    srv = await startTestServer(backend);
    clinic = await srv.clinic();
    const lead = await clinic.api.post('/api/v1/leads', { full_name: 'Race Test', phone: '+14155550100' });
    leadId = lead.body.id;
  });
  afterAll(() => srv.close());

  it('gives exactly one 201 and 49 409 slot_unavailable for 50 bookings of one slot', async () => {
    const slots = await clinic.api.get('/api/v1/availability?limit=1');
    const slot = Slot.parse(slots.body.data[0]);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => clinic.api.post('/api/v1/appointments', { lead_id: leadId, ...slot })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.code).toBe('slot_unavailable');
    const winner = Appointment.parse(results.find((r) => r.status === 201)!.body);
    const stored = await srv.running.deps.database.db
      .selectFrom('appointments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('scheduled_at', '=', new Date(winner.scheduled_at))
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(1);
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

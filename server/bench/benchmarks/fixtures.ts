/** Fixtures shared by several benchmarks, re-exporting the harness for one import line. */
import { createClinic, type NewClinic } from '../../services/clinics';
import { api, createLead, fail, openSlots, type Db, type Running } from '../harness';

export * from '../harness';

/** A clinic (Mon-Fri 09-17 New York, 30-minute slots) with `count` booked appointments, through the API. */
export async function createClinicWithAppointments(r: Running, name: string, count: number): Promise<NewClinic> {
  const clinic = await createClinic(r.db, name, 'America/New_York');
  const lead = await createLead(r.url, clinic.api_key, name.toLowerCase().replace(/\W+/g, '-'));
  for (const slot of await openSlots(r.url, clinic.api_key, count)) {
    const res = await api(r.url, clinic.api_key, 'POST', '/api/v1/appointments', { lead_id: lead, scheduled_at: slot });
    if (res.status !== 201) fail(`booking a fixture answered ${res.status}`);
  }
  return clinic;
}

/** A clinic open every day 08:00-20:00 (UTC) in slots of `slotMinutes`, with its first key. */
export async function scaleClinic(
  db: Db,
  name: string,
  slotMinutes = 15,
  opensAt = '08:00:00',
  closesAt = '20:00:00',
): Promise<{ clinicId: string; key: string }> {
  const clinic = await createClinic(db, name, 'UTC');
  const id = clinic.clinic.id;
  await db.updateTable('clinics').set({ slot_minutes: slotMinutes }).where('id', '=', id).execute();
  await db.deleteFrom('opening_hours').where('clinic_id', '=', id).execute();
  await db
    .insertInto('opening_hours')
    .values([1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ clinic_id: id, weekday, opens_at: opensAt, closes_at: closesAt })))
    .execute();
  return { clinicId: id, key: clinic.api_key };
}

/** Inserts appointments on the given distinct slot starts, 1,000 per statement. */
export async function insertAppointments(db: Db, clinicId: string, leadId: string, starts: number[], slotMs: number): Promise<void> {
  for (let i = 0; i < starts.length; i += 1000) {
    await db
      .insertInto('appointments')
      .values(
        starts
          .slice(i, i + 1000)
          .map((s) => ({ clinic_id: clinicId, lead_id: leadId, scheduled_at: new Date(s), ends_at: new Date(s + slotMs) })),
      )
      .execute();
  }
}

/** Fixtures shared by several benchmarks, re-exporting the harness for one import line. */
import { createClinic, type NewClinic } from '../../services/clinics';
import { api, createLead, fail, openSlots, shuffled, type Db, type Running } from '../harness';

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

const DAY_MS = 86_400_000;
/** The growth clinics' slot length. */
const GROWTH_SLOT_MS = 5 * 60_000;

/**
 * A clinic as the growth rows (and the profile) grow it: open around the clock in 5-minute slots,
 * with one lead to book, and the slot length for `insertAppointments`.
 */
export async function growthClinic(db: Db, name: string): Promise<{ clinicId: string; key: string; leadId: string; slotMs: number }> {
  const clinic = await scaleClinic(db, name, GROWTH_SLOT_MS / 60_000, '00:00:00', '24:00:00');
  const lead = await db
    .insertInto('leads')
    .values({ clinic_id: clinic.clinicId, email: `${name.toLowerCase().replace(/\W+/g, '-')}@example.com` })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { ...clinic, leadId: lead.id, slotMs: GROWTH_SLOT_MS };
}

/**
 * The first `count` starts of a growth clinic's appointments: distinct 5-minute slots from four
 * years ago to one year ahead, in the same random order every run (a clinic's history is mostly
 * past; the near future fills up as it grows). Any prefix is a clinic of that size.
 */
export function growthSlots(count: number): number[] {
  const first = Math.floor(Date.now() / DAY_MS) * DAY_MS - 4 * 365 * DAY_MS;
  const all = Array.from({ length: 5 * 365 * (DAY_MS / GROWTH_SLOT_MS) }, (_, i) => first + i * GROWTH_SLOT_MS);
  if (count > all.length) fail(`a growth clinic holds at most ${all.length} appointments, not ${count}`);
  return shuffled(all, 7).slice(0, count);
}

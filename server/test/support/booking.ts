/**
 * Helpers for the booking tests (availability, appointments, blocks): future calendar days computed
 * from today, clinic-local clock readings, DST changes ahead, fresh API keys, recorded events.
 */
import { EventEnvelope, type Appointment, type Scope, type Slot } from '../../../contract';
import { createApiKey } from '../../services/api-keys';
import type { ApiClient, TestServer } from './server';

const DAY_MS = 86_400_000;

/** A Monday at least `weeksAhead` weeks ahead, as YYYY-MM-DD (a calendar day, the same in every zone). */
export function futureMonday(weeksAhead = 1): string {
  const d = new Date(Date.now() + weeksAhead * 7 * DAY_MS);
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7));
  return d.toISOString().slice(0, 10);
}

/** The calendar day `n` days after `day`. */
export const nextDay = (day: string, n = 1): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** Wall-clock "HH:MM" of an instant in a zone. */
export function localTime(instant: string | number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(instant));
}

/** Calendar day "YYYY-MM-DD" of an instant in a zone. */
export function localDay(instant: string | number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instant));
}

/** Offset of a zone at an instant, in minutes (local = UTC + offset). */
function offsetMinutes(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date(instant));
  const name = parts.find((p) => p.type === 'timeZoneName')!.value; // "GMT-05:00" or "GMT"
  const m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/**
 * The next DST changes of a zone at least `minDaysAhead` days from now: the calendar day (UTC
 * noon reading, YYYY-MM-DD) on which the offset goes forward and the one on which it goes back.
 */
export function nextDstChanges(timeZone: string, minDaysAhead = 7): { spring: string; fall: string } {
  let spring: string | undefined;
  let fall: string | undefined;
  const start = Math.floor(Date.now() / DAY_MS) * DAY_MS + minDaysAhead * DAY_MS + 12 * 3_600_000;
  for (let i = 0; i < 800 && !(spring && fall); i++) {
    const noon = start + i * DAY_MS;
    const before = offsetMinutes(noon - DAY_MS, timeZone);
    const after = offsetMinutes(noon, timeZone);
    const day = new Date(noon).toISOString().slice(0, 10);
    if (after > before) spring ??= day;
    if (after < before) fall ??= day;
  }
  if (!spring || !fall) throw new Error(`${timeZone} has no DST change in the next two years`);
  return { spring, fall };
}

/** A client with a fresh key of the clinic (each test gets its own 120/min budget), optionally narrowed. */
export async function freshClient(srv: TestServer, clinicId: string, scopes?: Scope[]): Promise<ApiClient> {
  const { key } = await createApiKey(srv.running.deps.database.db, clinicId, `test ${scopes?.join(' ') ?? 'all'}`, scopes);
  return srv.client(key);
}

/** A booking's events: a clinic records them only for an active subscription that wants their type. */
export const BOOKING_EVENTS = ['appointment.created', 'lead.updated'];

/**
 * Subscribes the clinic of `api` to event types (to a port nothing listens on: the deliveries stay
 * queued or fail, the recorded events are what the tests read), so that its changes record them.
 */
export async function subscribe(api: ApiClient, events: string[] = BOOKING_EVENTS): Promise<string> {
  const res = await api.post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events });
  if (res.status !== 201) throw new Error(`POST /api/v1/webhooks answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

/** Recorded events (webhook_events) of a type about one appointment, validated against the contract. */
export async function appointmentEvents(srv: TestServer, type: string, appointmentId: string): Promise<Appointment[]> {
  const rows = await srv.running.deps.database.db.selectFrom('webhook_events').select('payload').where('type', '=', type).execute();
  return rows
    .map((r) => EventEnvelope.parse(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload))
    .filter((e) => e.data.appointment?.id === appointmentId)
    .map((e) => e.data.appointment!);
}

/** Lead events (webhook_events) of a type about one lead. */
export async function leadEvents(srv: TestServer, type: string, leadId: string): Promise<unknown[]> {
  const rows = await srv.running.deps.database.db.selectFrom('webhook_events').select('payload').where('type', '=', type).execute();
  return rows
    .map((r) => EventEnvelope.parse(typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload))
    .filter((e) => e.data.lead?.id === leadId);
}

/** Open slots of one clinic-local day. */
export async function slotsOfDay(api: ApiClient, day: string, query = ''): Promise<Slot[]> {
  const res = await api.get(`/api/v1/availability?from=${day}&to=${nextDay(day)}&limit=100${query}`);
  if (res.status !== 200) throw new Error(`GET /availability answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data as Slot[];
}

/** Replace a clinic's opening hours (ISO weekday 1..7, local "HH:MM:SS"), and optionally its slot length. */
export async function setOpeningHours(
  srv: TestServer,
  clinicId: string,
  hours: Array<{ weekday: number; opens_at: string; closes_at: string }>,
  slotMinutes?: number,
): Promise<void> {
  const { db } = srv.running.deps.database;
  await db.deleteFrom('opening_hours').where('clinic_id', '=', clinicId).execute();
  if (hours.length > 0)
    await db
      .insertInto('opening_hours')
      .values(hours.map((h) => ({ clinic_id: clinicId, ...h })))
      .execute();
  if (slotMinutes) await db.updateTable('clinics').set({ slot_minutes: slotMinutes }).where('id', '=', clinicId).execute();
}

export const ALL_WEEK_ALL_DAY = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens_at: '00:00:00', closes_at: '24:00:00' }));

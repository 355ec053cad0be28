/**
 * The booking engine over the database: availability, and the checks a booking must pass. Busy
 * time = non-cancelled appointments + calendar blocks; only the searched window is loaded.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AvailabilityQuery, Slot } from '../../contract';
import { fromLocal } from '../booking/time';
import { findOpenSlots, overlapsAny, mergeIntervals, withinOpeningHours, type Interval, type OpeningPeriod } from '../booking/slots';
import type { Database } from '../db/schema';
import { invalidInput, notFound, slotUnavailable } from '../errors';
import { iso } from './serialize';

type Db = Kysely<Database> | Transaction<Database>;

export const DEFAULT_RANGE_DAYS = 14;
export const MAX_RANGE_DAYS = 92;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The last instant the contract can write (ISO 8601 has four-digit years); nothing is searched past it. */
export const MAX_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const MIN_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');

/** An instant for a database filter, kept inside years 1-9999 (an offset can push a parsed input past them). */
export const clampInstant = (ms: number): number => Math.min(Math.max(ms, MIN_INSTANT), MAX_INSTANT);

export interface ClinicCalendar {
  timeZone: string;
  slotMinutes: number;
  hours: OpeningPeriod[];
}

export async function loadCalendar(db: Db, clinicId: string): Promise<ClinicCalendar> {
  const clinic = await db.selectFrom('clinics').select(['timezone', 'slot_minutes']).where('id', '=', clinicId).executeTakeFirst();
  if (!clinic) throw notFound('Clinic');
  const hours = await db
    .selectFrom('opening_hours')
    .select(['weekday', 'opens_at', 'closes_at'])
    .where('clinic_id', '=', clinicId)
    .execute();
  return { timeZone: clinic.timezone, slotMinutes: clinic.slot_minutes, hours };
}

/**
 * Busy intervals overlapping [from, to): appointments not cancelled, and blocks. The appointment
 * half is a range-overlap query that the exclusion constraint's GiST index answers, so a clinic's
 * past appointments are never scanned.
 */
export async function loadBusy(db: Db, clinicId: string, from: number, to: number, exceptAppointmentId?: string): Promise<Interval[]> {
  const fromDate = new Date(from);
  const toDate = new Date(to);
  let appointments = db
    .selectFrom('appointments')
    .select(['scheduled_at as start', 'ends_at as end'])
    .where('clinic_id', '=', clinicId)
    .where('status', '<>', 'cancelled')
    .where(sql<boolean>`tstzrange(scheduled_at, ends_at, '[)') && tstzrange(${fromDate}, ${toDate}, '[)')`);
  if (exceptAppointmentId) appointments = appointments.where('id', '<>', exceptAppointmentId);
  const blocks = db
    .selectFrom('calendar_blocks')
    .select(['starts_at as start', 'ends_at as end'])
    .where('clinic_id', '=', clinicId)
    .where('starts_at', '<', toDate)
    .where('ends_at', '>', fromDate);
  const rows = await appointments.unionAll(blocks).execute();
  return rows.map((r) => ({ start: new Date(r.start).getTime(), end: new Date(r.end).getTime() }));
}

/** `2026-04-26` is that day's midnight in clinic time; a full date-time is an instant. */
export function parseBoundary(value: string, timeZone: string): number {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) return fromLocal(Number(day[1]), Number(day[2]), Number(day[3]), 0, 0, timeZone);
  return Date.parse(value);
}

export async function findAvailability(
  db: Kysely<Database>,
  clinicId: string,
  query: AvailabilityQuery,
  now = Date.now(),
): Promise<Slot[]> {
  const calendar = await loadCalendar(db, clinicId);
  const requestedFrom = query.from ? parseBoundary(query.from, calendar.timeZone) : now;
  // `from` is a lower bound: a past day means "from now on", and the default window follows it.
  const to = query.to ? parseBoundary(query.to, calendar.timeZone) : Math.max(requestedFrom, now) + DEFAULT_RANGE_DAYS * DAY_MS;
  if (!(to > requestedFrom)) {
    throw invalidInput('to must be after from', [{ path: 'to', message: 'must be after from' }]);
  }
  const from = Math.max(requestedFrom, now);
  if (to - from > MAX_RANGE_DAYS * DAY_MS) {
    throw invalidInput(`The search range is limited to ${MAX_RANGE_DAYS} days`, [{ path: 'to', message: `at most ${MAX_RANGE_DAYS} days after from` }]);
  }
  const end = Math.min(to, MAX_INSTANT);
  if (from >= end) return [];
  const busy = await loadBusy(db, clinicId, from, end);
  return findOpenSlots({ ...calendar, busy, from, to: end, now, preference: query.preference, limit: query.limit }).map((s) => ({
    scheduled_at: iso(new Date(s.start)),
    ends_at: iso(new Date(s.end)),
  }));
}

/**
 * The rules every booking and reschedule passes before the insert; the exclusion constraint on
 * appointments is the last word under concurrency.
 */
export async function assertBookable(
  trx: Transaction<Database>,
  clinicId: string,
  start: number,
  end: number,
  exceptAppointmentId?: string,
  now = Date.now(),
): Promise<void> {
  if (!(end > start)) throw invalidInput('ends_at must be after scheduled_at', [{ path: 'ends_at', message: 'must be after scheduled_at' }]);
  if (end - start > DAY_MS) throw invalidInput('An appointment can last at most 24 hours', [{ path: 'ends_at', message: 'at most 24 hours after scheduled_at' }]);
  if (start < now) throw invalidInput('scheduled_at is in the past', [{ path: 'scheduled_at', message: 'must be in the future' }]);
  if (end > MAX_INSTANT) throw invalidInput('ends_at is out of range', [{ path: 'ends_at', message: 'must be before the year 10000' }]);
  const calendar = await loadCalendar(trx, clinicId);
  if (!withinOpeningHours(calendar.timeZone, calendar.hours, start, end)) {
    throw slotUnavailable('That time is outside the clinic\'s opening hours: pick a slot from GET /api/v1/availability');
  }
  const busy = mergeIntervals(await loadBusy(trx, clinicId, start, end, exceptAppointmentId));
  if (overlapsAny(busy, start, end)) throw slotUnavailable();
}

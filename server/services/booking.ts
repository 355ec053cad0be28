/**
 * The booking engine over the database: availability, and the checks a booking must pass. Busy
 * time = non-cancelled appointments + calendar blocks; availability reads it a page at a time in one
 * statement each (loadMergedBusy; on PostgreSQL the pages of concurrent searches in one statement,
 * services/busy-reads.ts), earliest first, and stops once it has `limit` slots.
 */
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { AvailabilityQuery, Slot } from '../../contract';
import { fromLocal } from '../booking/time';
import {
  findOpenSlotsBefore,
  firstCandidate,
  forEachCandidate,
  offerable,
  overlapsAny,
  mergeIntervals,
  appendMerged,
  withinOpeningHours,
  type Interval,
  type OpeningPeriod,
} from '../booking/slots';
import type { Database } from '../db/schema';
import { invalidInput, notFound, slotUnavailable, type ApiError } from '../errors';
import { isoAt } from './serialize';

type Db = Kysely<Database> | Transaction<Database>;

export const DEFAULT_RANGE_DAYS = 14;
export const MAX_RANGE_DAYS = 92;
/**
 * Appointments an availability search reads, per query: a first query reads the first 128 from
 * `from` (32 when it wants at most SMALL_SEARCH_LIMIT slots, and then only up to its first
 * limit + 32 slots, smallFirstReadEnd: nearly every search finds its slots there, one query), a
 * second from where that ended, 2,048 more, a third 16,384. That is the most
 * one search does: at most three queries and 18,560 appointments; in a calendar fuller than that
 * it answers the open slots found among them. Blocks are read up to where the appointments read
 * end (a block starting later cannot matter yet): at most the clinic's QB_CLINIC_BLOCK_LIMIT that
 * have not ended.
 */
export const BUSY_PAGES = [128, 2048, 16_384] as const;
/** A search for at most this many slots starts with a first page of SMALL_FIRST_PAGE appointments. */
export const SMALL_SEARCH_LIMIT = 10;
export const SMALL_FIRST_PAGE = 32;
/**
 * Slots beyond `limit` the first read of a small search covers (smallFirstReadEnd). A search reads
 * a second page when fewer than `limit` of those limit + spare slots are free: for limit 5, a
 * stretch more than 86 % booked (a spare of 16: 76 %; 8: 62 %). On the bench's year calendar (63 %
 * of its slots booked at random) that is 0.09 % of the searches' starting slots, against 6.7 % with
 * 16 and 43 % with 8; the second page (2,048 appointments up to the window's end, about 400 rows in
 * 14 days) costs about 1.2 ms of PGlite's thread, while a spare of 16 saves about 10 us of a first
 * read (issue 20, round 12: a smaller spare does not pay).
 */
export const FIRST_READ_SPARE_SLOTS = 32;

/** The appointment pages of a search for `limit` slots, in order (BUSY_PAGES, a smaller first one for a small limit). */
export function busyPages(limit: number): readonly number[] {
  return limit <= SMALL_SEARCH_LIMIT ? [SMALL_FIRST_PAGE, ...BUSY_PAGES.slice(1)] : BUSY_PAGES;
}
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

interface CachedCalendar {
  version: number;
  calendar: ClinicCalendar;
}

/**
 * Calendars in memory, per clinic, with the clinic's `calendar_version` they were read at. The
 * version is bumped by database triggers on any change (migration 005) and returned by the key
 * lookup of every API request, which calls `noteCalendarVersion`: a stale copy is dropped before
 * the request's handler runs, on every instance, at no extra round trip.
 */
const calendars = new Map<string, CachedCalendar>();
const MAX_CACHED_CALENDARS = 10_000;

/** The clinic's calendar is at `version` in the database: forget an older copy. */
export function noteCalendarVersion(clinicId: string, version: number): void {
  const cached = calendars.get(clinicId);
  if (cached && cached.version < version) calendars.delete(clinicId);
}

/** Reads the calendar from the database (one query, one snapshot) and keeps it in memory. */
export async function loadCalendar(db: Db, clinicId: string): Promise<ClinicCalendar> {
  const rows = await db
    .selectFrom('clinics as c')
    .leftJoin('opening_hours as h', 'h.clinic_id', 'c.id')
    .select(['c.timezone', 'c.slot_minutes', 'c.calendar_version', 'h.weekday', 'h.opens_at', 'h.closes_at'])
    .where('c.id', '=', clinicId)
    .execute();
  const clinic = rows[0];
  if (!clinic) throw notFound('Clinic');
  const hours = rows.flatMap(({ weekday, opens_at, closes_at }) =>
    weekday === null || opens_at === null || closes_at === null ? [] : [{ weekday, opens_at, closes_at }],
  );
  const calendar = { timeZone: clinic.timezone, slotMinutes: clinic.slot_minutes, hours };
  const version = Number(clinic.calendar_version);
  const cached = calendars.get(clinicId);
  if (!cached || cached.version <= version) {
    const oldest = calendars.keys().next().value;
    if (calendars.size >= MAX_CACHED_CALENDARS && !cached && oldest !== undefined) calendars.delete(oldest);
    calendars.set(clinicId, { version, calendar });
  }
  return calendar;
}

/** The calendar from memory when a copy is there, else from the database. */
export async function clinicCalendar(db: Db, clinicId: string): Promise<ClinicCalendar> {
  return calendars.get(clinicId)?.calendar ?? loadCalendar(db, clinicId);
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

/** Busy time of a window, merged, and the instant up to which it is completely known. */
export interface BusyPage {
  /** Disjoint, sorted intervals: overlapping and touching busy times are one. */
  busy: Interval[];
  /** Every busy interval not in `busy` starts at or after this instant. */
  knownUntil: number;
}

/**
 * The busy time overlapping [from, to), read in one statement and merged here: the first
 * `appointments` appointments starting in the window (a range scan of the covering index, migration
 * 017, that stops there), the appointment under way at `from` (at most one: the exclusion
 * constraint forbids overlaps, so it is the last one starting before `from`: one index entry read
 * backwards, however long the clinic's history), and the blocks overlapping the window up to its
 * horizon (found on the GiST index of their span, migration 014). The horizon is `to`, or the last
 * appointment's start when the page is full: later busy time is not known anyway (`knownUntil`),
 * so the blocks starting after it are left for the next page. The answer is one row: each of the
 * three as one text of comma-separated epoch milliseconds, start and end of each interval in turn,
 * sorted by start; busyPageOf merges them in one pass. Until round 15 the database merged them
 * (`range_agg` over a union of a common table, then a JSON array of pairs): PostgreSQL's execution
 * per search of the bench's full year calendar, grouped under load, was 101 us, now 76; an empty
 * calendar's 16-24, now 14; the merge here costs about 1.5 us (issue 20, round 15).
 */
// The page size is written into the statement (one text per page size), not bound, so a generic
// plan of its named statement knows the limit. Every part of the statement has one good plan for
// any clinic, so after its first five runs the database keeps a generic plan and stops planning it
// (issue 20: with the range containment it had for the appointment under way, PGlite planned it on
// every call, about half of its time). Instants are stored to the millisecond (written from Date
// values), so the rounded epoch milliseconds are exact.
export async function loadMergedBusy(db: Db, clinicId: string, from: number, to: number, appointments: number): Promise<BusyPage> {
  const operands = { clinicId: sql`${clinicId}`, from: sql`${new Date(from)}`, to: sql`${new Date(to)}` };
  const { rows } = await sql<MergedBusyRow>`${mergedBusyStatement(operands, appointments)}`.execute(db);
  return busyPageOf(rows[0], appointments);
}

/** The row of loadMergedBusy's statement: the intervals as `start,end,start,end,...` epoch milliseconds. */
export interface MergedBusyRow {
  read: number;
  last_start: number | null;
  appointments: string | null;
  under_way: string | null;
  blocks: string | null;
}

/** What loadMergedBusy's statement reads: the clinic and the window, as values or as columns of a grouped statement. */
export interface MergedBusyOperands {
  clinicId: RawBuilder<unknown>;
  from: RawBuilder<unknown>;
  to: RawBuilder<unknown>;
}

const epochMs = (instant: string) => `round(date_part('epoch', ${instant}) * 1000)`;
/** An interval as text for the row: `start,end` epoch milliseconds as integers (only digits and a minus sign: epochsOf). */
const epochPair = (start: string, end: string) => sql.raw(`${epochMs(start)}::int8 || ',' || ${epochMs(end)}::int8`);

/** loadMergedBusy's statement (one row), its operands written where they are read. */
export function mergedBusyStatement({ clinicId, from, to }: MergedBusyOperands, appointments: number): RawBuilder<MergedBusyRow> {
  return sql<MergedBusyRow>`
    select page.read, ${sql.raw(epochMs('page.last_start'))} as last_start, page.appointments,
      (select ${epochPair('s', 'e')} from (select scheduled_at as s, ends_at as e from appointments
        where clinic_id = ${clinicId} and status <> 'cancelled' and scheduled_at < ${from}
        order by scheduled_at desc limit 1) as before_from where e > ${from}::timestamptz) as under_way,
      (select string_agg(${epochPair('starts_at', 'ends_at')}, ',' order by starts_at) from calendar_blocks
        where clinic_id = ${clinicId} and tstzrange(starts_at, ends_at, '[)') && tstzrange(${from}::timestamptz,
          case when page.read >= ${sql.lit(appointments)} then page.last_start else ${to}::timestamptz end, '[)')) as blocks
    from (select count(*)::int as read, max(s) as last_start, string_agg(${epochPair('s', 'e')}, ',' order by s) as appointments
      from (select scheduled_at as s, ends_at as e from appointments
        where clinic_id = ${clinicId} and status <> 'cancelled' and scheduled_at >= ${from} and scheduled_at < ${to}
        order by scheduled_at limit ${sql.lit(appointments)}) as appt) as page
  `;
}

/** Appends the numbers of a `start,end,start,end,...` text of the statement's row, in order (none when null). */
function epochsOf(text: string | null | undefined, values: number[] = []): number[] {
  if (!text) return values;
  let value = 0;
  let sign = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 /* , */) {
      values.push(sign * value);
      value = 0;
      sign = 1;
    } else if (c === 45 /* - */) sign = -1;
    else value = value * 10 + (c - 48);
  }
  values.push(sign * value);
  return values;
}

/**
 * The busy time of a page, merged (overlapping and touching intervals are one, as `range_agg`
 * merges '[)' ranges) in one pass: two lists of intervals (flat start/end numbers), each sorted by
 * start, taken in order of start.
 */
function mergeBusyLists(appointments: number[], blocks: number[]): Interval[] {
  const merged: Interval[] = [];
  let a = 0;
  let b = 0;
  while (a < appointments.length || b < blocks.length) {
    if (b >= blocks.length || (a < appointments.length && (appointments[a] as number) <= (blocks[b] as number))) {
      appendMerged(merged, appointments[a] as number, appointments[a + 1] as number);
      a += 2;
    } else {
      appendMerged(merged, blocks[b] as number, blocks[b + 1] as number);
      b += 2;
    }
  }
  return merged;
}

/** A busy page from its statement's row. */
export function busyPageOf(head: MergedBusyRow | undefined, appointments: number): BusyPage {
  // The appointment under way starts before `from`, every other one of the page at or after it.
  const busy = mergeBusyLists(epochsOf(head?.appointments, epochsOf(head?.under_way)), epochsOf(head?.blocks));
  // A full page of appointments may have more, all starting at or after its last one's start.
  const knownUntil = head && Number(head.read) >= appointments && head.last_start !== null ? Number(head.last_start) : Infinity;
  return { busy, knownUntil };
}

/** Reads a busy page as loadMergedBusy does (services/busy-reads.ts groups the reads of concurrent searches). */
export type BusyReader = (clinicId: string, from: number, to: number, appointments: number) => Promise<BusyPage>;

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
  return (await answerAvailability(db, clinicId, query, now)).slots;
}

/** Open slots, and until when (epoch ms) they stay the answer to the same query while no data changes. */
export interface AvailabilityAnswer {
  slots: Slot[];
  /**
   * The answer depends on the clock only through `from` (now, when later than the asked `from`)
   * and the default end of the window (14 days after that). Until the first slot of the grid at
   * or after `from` starts, a later `from` skips no slot, so the same slots come back, as long as
   * the window's end cannot matter: the answer is full (`limit` slots, all before the old end) or
   * the end was given (`to`). Null when the answer must be computed again next time.
   */
  sameUntil: number | null;
}

export async function answerAvailability(
  db: Kysely<Database>,
  clinicId: string,
  query: AvailabilityQuery,
  now = Date.now(),
  readBusy: BusyReader = (id, from, to, appointments) => loadMergedBusy(db, id, from, to, appointments),
): Promise<AvailabilityAnswer> {
  const calendar = await clinicCalendar(db, clinicId);
  const requestedFrom = query.from ? parseBoundary(query.from, calendar.timeZone) : now;
  // `from` is a lower bound: a past day means "from now on", and the default window follows it.
  const to = query.to ? parseBoundary(query.to, calendar.timeZone) : Math.max(requestedFrom, now) + DEFAULT_RANGE_DAYS * DAY_MS;
  if (!(to > requestedFrom)) {
    throw invalidInput('to must be after from', [{ path: 'to', message: 'must be after from' }]);
  }
  const from = Math.max(requestedFrom, now);
  if (to - from > MAX_RANGE_DAYS * DAY_MS) {
    throw invalidInput(`The search range is limited to ${MAX_RANGE_DAYS} days`, [
      { path: 'to', message: `at most ${MAX_RANGE_DAYS} days after from` },
    ]);
  }
  const end = Math.min(to, MAX_INSTANT);
  if (from >= end) return { slots: [], sameUntil: null };
  const slots = await searchOpenSlots(readBusy, clinicId, calendar, {
    from,
    to: end,
    now,
    preference: query.preference,
    limit: query.limit,
  });
  const windowEndFixed = query.to !== undefined || slots.length >= query.limit;
  const firstOnGrid = windowEndFixed ? firstCandidate({ ...calendar, from, to: end }) : undefined;
  return {
    slots: slots.map((s) => ({ scheduled_at: isoAt(s.start), ends_at: isoAt(s.end) })),
    sameUntil: firstOnGrid ? firstOnGrid.start : null,
  };
}

/**
 * Where the first busy read of a small search (limit <= SMALL_SEARCH_LIMIT) ends: the end of the
 * (limit + FIRST_READ_SPARE_SLOTS)-th slot it could offer (on the grid, not before `now`, in its
 * preference), or the window's end when it has fewer. A first page of 32 appointments alone reads
 * them however few slots the search wants: a year booked more than half full read about 32
 * appointments and 3 blocks where 20 rows cover 37 slots (issue 20, round 11). The read still
 * stops at 32 appointments, so it never reads more than before; a calendar with fewer than
 * `limit` free slots among those goes on to the next page from there (a search whose window is
 * blocked solid reads twice, not once).
 */
export function smallFirstReadEnd(
  calendar: ClinicCalendar,
  search: { from: number; to: number; now: number; preference: AvailabilityQuery['preference']; limit: number },
): number {
  const offers = offerable(search);
  const wanted = search.limit + FIRST_READ_SPARE_SLOTS;
  let seen = 0;
  let end = search.to;
  forEachCandidate({ ...calendar, from: search.from, to: search.to }, (start, slotEnd, minute) => {
    if (!offers(start, minute)) return false;
    seen += 1;
    if (seen < wanted) return false;
    end = slotEnd;
    return true;
  });
  return end;
}

/**
 * Open slots of [from, to), earliest first: busy time is read merged, a page of appointments at a
 * time (busyPages), and the search stops once it has `limit` slots, the window is exhausted, or
 * the pages are used up (the work one search may do).
 */
async function searchOpenSlots(
  readBusy: BusyReader,
  clinicId: string,
  calendar: ClinicCalendar,
  search: { from: number; to: number; now: number; preference: AvailabilityQuery['preference']; limit: number },
): Promise<Interval[]> {
  const slots: Interval[] = [];
  let searchFrom: number | null = search.from;
  for (const [i, appointments] of busyPages(search.limit).entries()) {
    if (searchFrom === null || slots.length >= search.limit) break;
    const readTo = i === 0 && search.limit <= SMALL_SEARCH_LIMIT ? smallFirstReadEnd(calendar, search) : search.to;
    const page = await readBusy(clinicId, searchFrom, readTo, appointments);
    const found = findOpenSlotsBefore(
      { ...calendar, ...search, busy: page.busy, from: searchFrom, limit: search.limit - slots.length },
      Math.min(page.knownUntil, readTo),
    );
    slots.push(...found.slots);
    searchFrom = found.resumeAt;
  }
  return slots;
}

/**
 * The rules of a booking or reschedule that need no database (times, opening hours), in the order
 * they are checked: the first one broken, or undefined.
 */
export function bookingProblem(calendar: ClinicCalendar, start: number, end: number, now = Date.now()): ApiError | undefined {
  if (!(end > start))
    return invalidInput('ends_at must be after scheduled_at', [{ path: 'ends_at', message: 'must be after scheduled_at' }]);
  if (end - start > DAY_MS)
    return invalidInput('An appointment can last at most 24 hours', [{ path: 'ends_at', message: 'at most 24 hours after scheduled_at' }]);
  if (start < now) return invalidInput('scheduled_at is in the past', [{ path: 'scheduled_at', message: 'must be in the future' }]);
  if (end > MAX_INSTANT) return invalidInput('ends_at is out of range', [{ path: 'ends_at', message: 'must be before the year 10000' }]);
  if (!withinOpeningHours(calendar.timeZone, calendar.hours, start, end)) {
    return slotUnavailable("That time is outside the clinic's opening hours: pick a slot from GET /api/v1/availability");
  }
  return undefined;
}

/**
 * The rules every reschedule passes before the update; the exclusion constraint on appointments
 * is the last word under concurrency. (A booking checks the same rules in its one statement:
 * services/appointments.ts.)
 */
export async function assertBookable(
  trx: Transaction<Database>,
  clinicId: string,
  start: number,
  end: number,
  exceptAppointmentId?: string,
  now = Date.now(),
): Promise<void> {
  const problem = bookingProblem(await clinicCalendar(trx, clinicId), start, end, now);
  if (problem) throw problem;
  const busy = mergeIntervals(await loadBusy(trx, clinicId, start, end, exceptAppointmentId));
  if (overlapsAny(busy, start, end)) throw slotUnavailable();
}

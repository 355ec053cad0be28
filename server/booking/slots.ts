/**
 * The booking engine's pure core: open slots from opening hours minus busy intervals. No I/O,
 * so the same rules serve GET /availability, booking checks and the dashboard calendar.
 */
import { fromLocal, isoWeekday, minutesOfDay, nextDay, offsetAt, toLocal } from './time';

export interface OpeningPeriod {
  weekday: number; // ISO 1..7
  opens_at: string; // 'HH:MM:SS' local
  closes_at: string;
}

export interface Interval {
  start: number; // epoch ms, inclusive
  end: number; // epoch ms, exclusive
}

export type Preference = 'morning' | 'afternoon' | 'evening' | 'any';

/** Local start-hour windows of each preference, [from, to) in minutes after midnight. */
export const PREFERENCE_WINDOWS: Record<Preference, [number, number]> = {
  morning: [6 * 60, 12 * 60],
  afternoon: [12 * 60, 17 * 60],
  evening: [17 * 60, 22 * 60],
  any: [0, 24 * 60],
};

export interface SlotSearch {
  timeZone: string;
  slotMinutes: number;
  hours: OpeningPeriod[];
  /** Busy intervals (appointments, blocks), any order. */
  busy: Interval[];
  /** Range to search, [from, to). */
  from: number;
  to: number;
  /** Slots starting before this are never offered. */
  now: number;
  preference: Preference;
  limit: number;
}

/** Sorted, merged busy intervals, for overlap checks by binary search (the input itself when it is already). */
export function mergeIntervals(intervals: Interval[]): Interval[] {
  if (isMerged(intervals)) return intervals;
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const i of sorted) appendMerged(merged, i.start, i.end);
  return merged;
}

/**
 * Adds [start, end) to merged intervals whose last one starts at or before `start`: extends the
 * last one when they overlap or touch, otherwise appends a new interval.
 */
export function appendMerged(merged: Interval[], start: number, end: number): void {
  const last = merged[merged.length - 1];
  if (last && start <= last.end) {
    if (end > last.end) last.end = end;
  } else merged.push({ start, end });
}

/** Sorted and disjoint, none touching the next (a busy page as busyPageOf merges it, services/booking.ts). */
function isMerged(intervals: Interval[]): boolean {
  for (let i = 1; i < intervals.length; i++) {
    if ((intervals[i] as Interval).start <= (intervals[i - 1] as Interval).end) return false;
  }
  return intervals.every((i) => i.start <= i.end);
}

/** Does [start, end) overlap any of the merged, sorted intervals? */
export function overlapsAny(merged: Interval[], start: number, end: number): boolean {
  let lo = 0;
  let hi = merged.length - 1;
  // Find the last interval starting before `end`.
  let idx = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((merged[mid]?.start ?? Number.POSITIVE_INFINITY) < end) {
      idx = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return (merged[idx]?.end ?? Number.NEGATIVE_INFINITY) > start;
}

/** A candidate slot, with the clinic-local minute of day it starts at. */
export interface Candidate extends Interval {
  minute: number;
}

/** The range and grid of a candidate walk. */
export type CandidateRange = Omit<SlotSearch, 'busy' | 'limit' | 'preference' | 'now'>;

/** An opening period in minutes after local midnight. */
interface Period {
  opens: number;
  closes: number;
}

/** Each ISO weekday's (index 1-7) opening periods, in minutes, by opening time. */
type WeekGrid = readonly (readonly Period[] | undefined)[];

/** Grids of the opening hours seen (the calendars services/booking.ts keeps), read once each. */
const weekGrids = new WeakMap<OpeningPeriod[], WeekGrid>();

function weekGrid(hours: OpeningPeriod[]): WeekGrid {
  let grid = weekGrids.get(hours);
  if (!grid) {
    const byWeekday: Period[][] = [];
    for (const h of hours) {
      const period = { opens: minutesOfDay(h.opens_at), closes: minutesOfDay(h.closes_at) };
      const periods = byWeekday[h.weekday];
      if (periods) periods.push(period);
      else byWeekday[h.weekday] = [period];
    }
    for (const periods of byWeekday) periods?.sort((a, b) => a.opens - b.opens);
    grid = byWeekday;
    weekGrids.set(hours, grid);
  }
  return grid;
}

/**
 * Slots on the opening-hours grid, earliest first, day by day in clinic time: each is handed to
 * `visit` (start, end, local minute of day it starts at) until `visit` answers true. Every slot
 * lasts exactly `slotMinutes`. On a day without a DST change, local -> UTC is one subtraction; on
 * a change day each wall time is resolved: a start inside the spring-forward gap does not exist
 * and is skipped, and in the fall-back overlap the earlier instant is used and slots never overlap.
 */
export function forEachCandidate(s: CandidateRange, visit: (start: number, end: number, minute: number) => boolean): void {
  const grid = weekGrid(s.hours);
  const slotMs = s.slotMinutes * 60_000;
  const startLocal = toLocal(s.from, s.timeZone);
  let [y, m, d] = [startLocal.year, startLocal.month, startLocal.day];
  let dayStart = fromLocal(y, m, d, 0, 0, s.timeZone);
  let lastEnd = -Infinity;
  // Walk local days until a day starts at or after the end of the range.
  for (let guard = 0; guard < 400 && dayStart < s.to; guard++) {
    const [ny, nm, nd] = nextDay(y, m, d);
    const nextStart = fromLocal(ny, nm, nd, 0, 0, s.timeZone);
    const periods = grid[isoWeekday(y, m, d)];
    if (periods) {
      const offset = offsetAt(dayStart, s.timeZone);
      const midnightWall = Date.UTC(y, m - 1, d);
      // One offset all day long, and midnight itself exists (some zones skip it).
      const steady = offset === offsetAt(nextStart - 1, s.timeZone) && dayStart === midnightWall - offset;
      for (const { opens, closes } of periods) {
        const closeAt = steady
          ? midnightWall + closes * 60_000 - offset
          : fromLocal(y, m, d, Math.floor(closes / 60), closes % 60, s.timeZone);
        for (let minute = opens; minute + s.slotMinutes <= closes; minute += s.slotMinutes) {
          const start = steady
            ? midnightWall + minute * 60_000 - offset
            : fromLocal(y, m, d, Math.floor(minute / 60), minute % 60, s.timeZone);
          if (!steady) {
            const local = toLocal(start, s.timeZone);
            if (local.hour * 60 + local.minute !== minute) continue; // inside the spring-forward gap
          }
          const end = start + slotMs;
          if (end > closeAt || start < lastEnd) continue;
          if (start < s.from) continue;
          if (end > s.to) return;
          lastEnd = end;
          if (visit(start, end, minute)) return;
        }
      }
    }
    [y, m, d] = [ny, nm, nd];
    dayStart = nextStart;
  }
}

/** Every slot on the opening-hours grid of the range, earliest first (forEachCandidate). */
export function candidateSlots(s: CandidateRange): Candidate[] {
  const all: Candidate[] = [];
  forEachCandidate(s, (start, end, minute) => {
    all.push({ start, end, minute });
    return false;
  });
  return all;
}

/** The first slot on the opening-hours grid of the range, or undefined. */
export function firstCandidate(s: CandidateRange): Interval | undefined {
  let first: Interval | undefined;
  forEachCandidate(s, (start, end) => {
    first = { start, end };
    return true;
  });
  return first;
}

/** Open slots, earliest first, at most `limit`. */
export function findOpenSlots(s: SlotSearch): Interval[] {
  return findOpenSlotsBefore(s, Infinity).slots;
}

/** Whether a candidate slot (its start and clinic-local minute) is one the search offers: not before `now`, inside its preference's window. */
export function offerable(s: Pick<SlotSearch, 'now' | 'preference'>): (start: number, minute: number) => boolean {
  const [windowFrom, windowTo] = PREFERENCE_WINDOWS[s.preference];
  return (start, minute) => start >= s.now && minute >= windowFrom && minute < windowTo;
}

/**
 * Open slots when busy time is known only up to `knownUntil` (busy intervals not in `s.busy` all
 * start at or after it): stops at the first candidate that ends after `knownUntil`, and answers
 * its start as `resumeAt`, to search again from there once more busy time is loaded. `resumeAt`
 * is null when the search is complete (the range is exhausted or `limit` slots were found).
 */
export function findOpenSlotsBefore(s: SlotSearch, knownUntil: number): { slots: Interval[]; resumeAt: number | null } {
  const busy = mergeIntervals(s.busy);
  const offers = offerable(s);
  const slots: Interval[] = [];
  let resumeAt: number | null = null;
  if (s.limit <= 0) return { slots, resumeAt };
  forEachCandidate(s, (start, end, minute) => {
    if (end > knownUntil) {
      resumeAt = start;
      return true;
    }
    if (!offers(start, minute) || overlapsAny(busy, start, end)) return false;
    slots.push({ start, end });
    return slots.length >= s.limit;
  });
  return { slots, resumeAt };
}

/**
 * Is [start, end) entirely inside one opening period of the clinic-local day it starts on? The
 * period's bounds are resolved to instants on that day, so the check is exact across DST changes.
 */
export function withinOpeningHours(timeZone: string, hours: OpeningPeriod[], start: number, end: number): boolean {
  const l = toLocal(start, timeZone);
  const at = (time: string) => {
    const minute = minutesOfDay(time);
    return fromLocal(l.year, l.month, l.day, Math.floor(minute / 60), minute % 60, timeZone);
  };
  return hours.some((h) => h.weekday === l.weekday && at(h.opens_at) <= start && end <= at(h.closes_at));
}

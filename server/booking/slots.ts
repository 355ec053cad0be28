/**
 * The booking engine's pure core: open slots from opening hours minus busy intervals. No I/O,
 * so the same rules serve GET /availability, booking checks and the dashboard calendar.
 */
import { fromLocal, isoWeekday, minutesOfDay, nextDay, toLocal } from './time';

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

/** Sorted, merged busy intervals, for overlap checks by binary search. */
export function mergeIntervals(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const i of sorted) {
    const last = merged[merged.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else merged.push({ ...i });
  }
  return merged;
}

/** Does [start, end) overlap any of the merged, sorted intervals? */
export function overlapsAny(merged: Interval[], start: number, end: number): boolean {
  let lo = 0;
  let hi = merged.length - 1;
  // Find the last interval starting before `end`.
  let idx = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (merged[mid]!.start < end) {
      idx = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return idx >= 0 && merged[idx]!.end > start;
}

export function* candidateSlots(s: Omit<SlotSearch, 'busy' | 'limit' | 'preference' | 'now'>): Generator<Interval> {
  const byWeekday = new Map<number, OpeningPeriod[]>();
  for (const h of s.hours) byWeekday.set(h.weekday, [...(byWeekday.get(h.weekday) ?? []), h]);
  for (const periods of byWeekday.values()) periods.sort((a, b) => minutesOfDay(a.opens_at) - minutesOfDay(b.opens_at));

  const startLocal = toLocal(s.from, s.timeZone);
  let [y, m, d] = [startLocal.year, startLocal.month, startLocal.day];
  // Walk local days until a day starts after the end of the range.
  for (let guard = 0; guard < 400; guard++) {
    const dayStart = fromLocal(y, m, d, 0, 0, s.timeZone);
    if (dayStart >= s.to) return;
    for (const period of byWeekday.get(isoWeekday(y, m, d)) ?? []) {
      const close = minutesOfDay(period.closes_at);
      for (let minute = minutesOfDay(period.opens_at); minute + s.slotMinutes <= close; minute += s.slotMinutes) {
        const start = fromLocal(y, m, d, Math.floor(minute / 60), minute % 60, s.timeZone);
        const endMinute = minute + s.slotMinutes;
        const end = fromLocal(y, m, d, Math.floor(endMinute / 60), endMinute % 60, s.timeZone);
        if (end <= start) continue; // a slot swallowed by a DST gap
        if (start < s.from) continue;
        if (end > s.to) return;
        yield { start, end };
      }
    }
    [y, m, d] = nextDay(y, m, d);
  }
}

/** Open slots, earliest first, at most `limit`. */
export function findOpenSlots(s: SlotSearch): Interval[] {
  const busy = mergeIntervals(s.busy);
  const [windowFrom, windowTo] = PREFERENCE_WINDOWS[s.preference];
  const out: Interval[] = [];
  for (const slot of candidateSlots(s)) {
    if (slot.start < s.now) continue;
    if (s.preference !== 'any') {
      const local = toLocal(slot.start, s.timeZone);
      const minute = local.hour * 60 + local.minute;
      if (minute < windowFrom || minute >= windowTo) continue;
    }
    if (overlapsAny(busy, slot.start, slot.end)) continue;
    out.push(slot);
    if (out.length >= s.limit) break;
  }
  return out;
}

/** Is [start, end) entirely inside one opening period of its local day? */
export function withinOpeningHours(timeZone: string, hours: OpeningPeriod[], start: number, end: number): boolean {
  const ls = toLocal(start, timeZone);
  const le = toLocal(end, timeZone);
  const startMinute = ls.hour * 60 + ls.minute + ls.second / 60;
  const sameDay = ls.year === le.year && ls.month === le.month && ls.day === le.day;
  const endMinute = sameDay ? le.hour * 60 + le.minute + le.second / 60 : 24 * 60 + le.hour * 60 + le.minute;
  return hours.some(
    (h) => h.weekday === ls.weekday && minutesOfDay(h.opens_at) <= startMinute && endMinute <= minutesOfDay(h.closes_at),
  );
}

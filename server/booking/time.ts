/**
 * Clinic-local time <-> UTC with the platform's IANA database (Intl), DST-correct, without a
 * date library. Local times are plain numbers; instants are epoch milliseconds.
 */

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** ISO weekday: 1 = Monday ... 7 = Sunday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

const HOUR_MS = 3_600_000;
/** Instants from year 100 to 9999 take the fast path (Date's UTC fields read those years plainly). */
const FAST_FROM = Date.UTC(100, 0, 1);
const FAST_TO = Date.UTC(9999, 11, 31);
const MAX_STEADY_HOURS = 100_000;
/**
 * Per zone, UTC hour (epoch hours) -> the zone's offset all through that hour, for the hours with
 * one offset only. Keyed by number within a zone's map, not by a `zone hour` string: building and
 * hashing that string was most of a lookup, and a search looks up about 60 (issue 20, round 12).
 */
const steadyHours = new Map<string, Map<number, number>>();
let steadyHourCount = 0;

/**
 * The zone's offset all through the UTC hour of `epochMs`, when that hour has one offset only;
 * undefined for an hour with a transition (and outside years 100-9999). Asking Intl is the slow
 * part of slot search and booking checks, so an hour's offset is kept once Intl has shown it the
 * same at the hour's first and last second (the zone database never changes the offset twice
 * within an hour).
 */
function steadyOffset(epochMs: number, timeZone: string): number | undefined {
  if (!(epochMs >= FAST_FROM && epochMs < FAST_TO)) return undefined;
  const hour = Math.floor(epochMs / HOUR_MS);
  let zone = steadyHours.get(timeZone);
  const known = zone?.get(hour);
  if (known !== undefined) return known;
  const atStart = intlOffset(hour * HOUR_MS, timeZone);
  if (atStart !== intlOffset((hour + 1) * HOUR_MS - 1000, timeZone)) return undefined;
  if (steadyHourCount >= MAX_STEADY_HOURS) {
    steadyHours.clear();
    steadyHourCount = 0;
    zone = undefined;
  }
  if (zone === undefined) {
    zone = new Map();
    steadyHours.set(timeZone, zone);
  }
  zone.set(hour, atStart);
  steadyHourCount += 1;
  return atStart;
}

/** The local date and time at an instant: plain arithmetic in a steady hour, Intl around a transition. */
export function toLocal(epochMs: number, timeZone: string): LocalDateTime {
  const offset = steadyOffset(epochMs, timeZone);
  if (offset === undefined) return intlLocal(epochMs, timeZone);
  const d = new Date(epochMs + offset);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: ((d.getUTCDay() + 6) % 7) + 1,
  };
}

/** The offset as Intl reads it: its local wall clock (whole seconds) minus the instant. */
function intlOffset(epochMs: number, timeZone: string): number {
  const l = intlLocal(epochMs, timeZone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** The local date and time as Intl reads the zone database. */
export function intlLocal(epochMs: number, timeZone: string): LocalDateTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(epochMs))) parts[p.type] = p.value;
  const weekday = WEEKDAYS[parts.weekday ?? ''];
  if (weekday === undefined) throw new Error(`no weekday for ${new Date(epochMs).toISOString()} in ${timeZone}`);
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday,
  };
}

/** The zone's offset from UTC at an instant, in milliseconds (local = utc + offset). */
export function offsetAt(epochMs: number, timeZone: string): number {
  return steadyOffset(epochMs, timeZone) ?? intlOffset(epochMs, timeZone);
}

/** A wall-clock time read as if it were UTC; unlike Date.UTC, years 0-99 are not taken as 19xx. */
function wallClock(year: number, month: number, day: number, hour: number, minute: number): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute);
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute));
  d.setUTCFullYear(year + d.getUTCFullYear() - 2000);
  return d.getTime();
}

/**
 * The instant of a local wall-clock time. In a spring-forward gap the wall time does not exist and
 * the result is shifted forward by the gap; in a fall-back overlap the earlier instant is used.
 */
export function fromLocal(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const wall = wallClock(year, month, day, hour, minute);
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  if (first === second) return first;
  // Offsets differ around a transition: prefer the candidate that maps back to the wall time.
  const candidates = [first, second].sort((a, b) => a - b);
  for (const c of candidates) {
    const l = toLocal(c, timeZone);
    if (Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute) === wall) return c;
  }
  return Math.max(first, second);
}

/** The local calendar day after (year, month, day). */
export function nextDay(year: number, month: number, day: number): [number, number, number] {
  const d = new Date(Date.UTC(year, month - 1, day + 1));
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

/** ISO weekday of a calendar date (independent of any zone). */
export function isoWeekday(year: number, month: number, day: number): number {
  const w = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** 'HH:MM[:SS]' -> minutes after midnight. */
export function minutesOfDay(time: string): number {
  const [h, m] = time.split(':');
  return Number(h) * 60 + Number(m);
}

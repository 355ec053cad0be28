/**
 * The calendar week, in clinic time: appointments and busy blocks per day with the open slots
 * between. Everything comes from the booking services the API uses; this only arranges it.
 */
import type { Kysely } from 'kysely';
import type { Appointment, CalendarBlock, Slot } from '../../../contract';
import type { OpeningPeriod } from '../../booking/slots';
import { fromLocal, isoWeekday, nextDay, toLocal } from '../../booking/time';
import type { Database } from '../../db/schema';
import { listAppointments } from '../../services/appointments';
import { listBlocks } from '../../services/blocks';
import { findAvailability, loadCalendar } from '../../services/booking';
import type { RecordLinks } from '../../services/serialize';

export type CalendarItem =
  | { kind: 'appointment'; start: number; end: number; appointment: Appointment; leadName: string }
  | { kind: 'block'; start: number; end: number; block: CalendarBlock }
  | { kind: 'open'; start: number; end: number; slots: number };

export interface CalendarDay {
  date: string; // YYYY-MM-DD, clinic time
  start: number;
  end: number;
  isToday: boolean;
  hours: Array<{ opens: string; closes: string }>;
  items: CalendarItem[];
}

export interface CalendarWeek {
  timeZone: string;
  monday: string;
  previous: string;
  next: string;
  thisWeek: string;
  days: CalendarDay[];
}

type Ymd = [number, number, number];
const ymd = ([y, m, d]: Ymd) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
function addDays([y, m, d]: Ymd, days: number): Ymd {
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
}
const mondayOf = (day: Ymd): Ymd => addDays(day, 1 - isoWeekday(...day));

/** `YYYY-MM-DD` of a real date, or undefined. */
export function parseDay(value: string | undefined): Ymd | undefined {
  const match = value ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  if (!match) return undefined;
  const day: Ymd = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = addDays(day, 0);
  return check[0] === day[0] && check[1] === day[1] && check[2] === day[2] && day[0] >= 2000 && day[0] <= 2100 ? day : undefined;
}

async function weekAppointments(
  db: Kysely<Database>,
  links: RecordLinks,
  clinicId: string,
  from: number,
  to: number,
): Promise<Appointment[]> {
  const all: Appointment[] = [];
  for (let page = 1; ; page++) {
    const result = await listAppointments(db, links, clinicId, {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      page,
      per_page: 100,
    });
    all.push(...result.data);
    if (page * result.meta.per_page >= result.meta.total) return all;
  }
}

/** A day of the week in clinic time, from its midnight to the next (23 or 25 hours across a clock change). */
type DayBounds = { date: Ymd; start: number; end: number };

function weekDays(monday: Ymd, tz: string): DayBounds[] {
  return Array.from({ length: 7 }, (_, i) => {
    const date = addDays(monday, i);
    return { date, start: fromLocal(date[0], date[1], date[2], 0, 0, tz), end: fromLocal(...nextDay(...date), 0, 0, tz) };
  });
}

/** What the week holds: its appointments, busy blocks and every open slot (past ones are never offered). */
async function weekContents(db: Kysely<Database>, links: RecordLinks, clinicId: string, from: number, to: number, now: number) {
  const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  const [appointments, blocks, slots] = await Promise.all([
    weekAppointments(db, links, clinicId, from, to),
    listBlocks(db, clinicId, new Date(from), new Date(to)),
    findAvailability(db, clinicId, { ...range, preference: 'any', limit: 10_000 }, now),
  ]);
  return { appointments, blocks, slots };
}
type WeekContents = Awaited<ReturnType<typeof weekContents>>;

/** Each appointment carries its lead's contact details: the name, else the email or phone. */
const leadName = (a: Appointment) => a.lead_full_name ?? a.lead_email ?? a.lead_phone ?? 'Lead';

/** The appointments that start within [start, end). */
function appointmentItems(appointments: Appointment[], start: number, end: number): CalendarItem[] {
  return appointments.flatMap((a) => {
    const s = Date.parse(a.scheduled_at);
    return s >= start && s < end
      ? [{ kind: 'appointment' as const, start: s, end: Date.parse(a.ends_at), appointment: a, leadName: leadName(a) }]
      : [];
  });
}

/** The blocks that overlap [start, end), cut to it: a block that began the day before shows from midnight. */
function blockItems(blocks: CalendarBlock[], start: number, end: number): CalendarItem[] {
  return blocks.flatMap((b) => {
    const s = Date.parse(b.starts_at);
    const e = Date.parse(b.ends_at);
    return s < end && e > start ? [{ kind: 'block' as const, start: Math.max(s, start), end: Math.min(e, end), block: b }] : [];
  });
}

/** The open slots that start within [start, end), consecutive ones merged into one run (they read better so). */
function openRuns(slots: Slot[], start: number, end: number): CalendarItem[] {
  const runs: Array<Extract<CalendarItem, { kind: 'open' }>> = [];
  for (const slot of slots) {
    const s = Date.parse(slot.scheduled_at);
    const e = Date.parse(slot.ends_at);
    if (s < start || s >= end) continue;
    const run = runs.at(-1);
    if (run && run.end === s) {
      run.end = e;
      run.slots += 1;
    } else runs.push({ kind: 'open', start: s, end: e, slots: 1 });
  }
  return runs;
}

/** At the same time, a block comes first, then an appointment, then open slots. */
const KIND_ORDER = { block: 0, appointment: 1, open: 2 } as const;

/** The clinic's opening periods on a weekday, earliest first, as `HH:MM`. */
function openingHours(hours: OpeningPeriod[], weekday: number): CalendarDay['hours'] {
  return hours
    .filter((h) => h.weekday === weekday)
    .sort((x, y) => x.opens_at.localeCompare(y.opens_at))
    .map((h) => ({ opens: h.opens_at.slice(0, 5), closes: h.closes_at.slice(0, 5) }));
}

/** One day as the page shows it: what it holds in time order, and its opening hours. */
function calendarDay(day: DayBounds, contents: WeekContents, hours: OpeningPeriod[], today: Ymd): CalendarDay {
  const { date, start, end } = day;
  const items = [
    ...appointmentItems(contents.appointments, start, end),
    ...blockItems(contents.blocks, start, end),
    ...openRuns(contents.slots, start, end),
  ].sort((x, y) => x.start - y.start || KIND_ORDER[x.kind] - KIND_ORDER[y.kind]);
  return { date: ymd(date), start, end, isToday: ymd(date) === ymd(today), hours: openingHours(hours, isoWeekday(...date)), items };
}

/** The week of `week` (any `YYYY-MM-DD` in it; otherwise this week), in the clinic's time zone. */
export async function loadWeek(
  db: Kysely<Database>,
  links: RecordLinks,
  clinicId: string,
  week: string | undefined,
  now = Date.now(),
): Promise<CalendarWeek> {
  const calendar = await loadCalendar(db, clinicId);
  const tz = calendar.timeZone;
  const local = toLocal(now, tz);
  const today: Ymd = [local.year, local.month, local.day];
  const monday = mondayOf(parseDay(week) ?? today);
  const from = fromLocal(monday[0], monday[1], monday[2], 0, 0, tz);
  const to = fromLocal(...nextDay(...addDays(monday, 6)), 0, 0, tz);
  const contents = await weekContents(db, links, clinicId, from, to, now);
  return {
    timeZone: tz,
    monday: ymd(monday),
    previous: ymd(addDays(monday, -7)),
    next: ymd(addDays(monday, 7)),
    thisWeek: ymd(mondayOf(today)),
    days: weekDays(monday, tz).map((day) => calendarDay(day, contents, calendar.hours, today)),
  };
}

/**
 * The calendar week, in clinic time: appointments and busy blocks per day with the open slots
 * between. Everything comes from the booking services the API uses; this only arranges it.
 */
import type { Kysely } from 'kysely';
import type { Appointment, CalendarBlock } from '../../../contract';
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
  const dates = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  const bounds = dates.map((d) => ({ date: d, start: fromLocal(d[0], d[1], d[2], 0, 0, tz), end: fromLocal(...nextDay(...d), 0, 0, tz) }));
  const from = fromLocal(monday[0], monday[1], monday[2], 0, 0, tz);
  const to = fromLocal(...nextDay(...addDays(monday, 6)), 0, 0, tz);

  const [appointments, blocks, slots] = await Promise.all([
    weekAppointments(db, links, clinicId, from, to),
    listBlocks(db, clinicId, new Date(from), new Date(to)),
    // Every open slot of the week from the booking engine (past ones are never offered).
    findAvailability(
      db,
      clinicId,
      { from: new Date(from).toISOString(), to: new Date(to).toISOString(), preference: 'any', limit: 10_000 },
      now,
    ),
  ]);

  // Each appointment carries its lead's contact details.
  const leadName = (a: Appointment) => a.lead_full_name ?? a.lead_email ?? a.lead_phone ?? 'Lead';

  const days: CalendarDay[] = bounds.map(({ date, start, end }) => {
    const inDay = (s: number) => s >= start && s < end;
    const items: CalendarItem[] = [];
    for (const a of appointments) {
      const s = Date.parse(a.scheduled_at);
      if (inDay(s)) items.push({ kind: 'appointment', start: s, end: Date.parse(a.ends_at), appointment: a, leadName: leadName(a) });
    }
    for (const b of blocks) {
      const s = Date.parse(b.starts_at);
      const e = Date.parse(b.ends_at);
      // A block that began before this day still shows on it, from midnight.
      if (s < end && e > start) items.push({ kind: 'block', start: Math.max(s, start), end: Math.min(e, end), block: b });
    }
    // Consecutive open slots read better as one run.
    let run: Extract<CalendarItem, { kind: 'open' }> | undefined;
    for (const slot of slots) {
      const s = Date.parse(slot.scheduled_at);
      const e = Date.parse(slot.ends_at);
      if (!inDay(s)) continue;
      if (run && run.end === s) {
        run.end = e;
        run.slots += 1;
      } else {
        run = { kind: 'open', start: s, end: e, slots: 1 };
        items.push(run);
      }
    }
    const order = { block: 0, appointment: 1, open: 2 };
    items.sort((x, y) => x.start - y.start || order[x.kind] - order[y.kind]);
    const weekday = isoWeekday(...date);
    return {
      date: ymd(date),
      start,
      end,
      isToday: ymd(date) === ymd(today),
      hours: calendar.hours
        .filter((h) => h.weekday === weekday)
        .sort((x, y) => x.opens_at.localeCompare(y.opens_at))
        .map((h) => ({ opens: h.opens_at.slice(0, 5), closes: h.closes_at.slice(0, 5) })),
      items,
    };
  });

  return {
    timeZone: tz,
    monday: ymd(monday),
    previous: ymd(addDays(monday, -7)),
    next: ymd(addDays(monday, 7)),
    thisWeek: ymd(mondayOf(today)),
    days,
  };
}

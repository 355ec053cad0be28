/**
 * The dashboard's calendar week (loaders/calendar.ts): each day of the clinic's week, with its
 * opening hours, appointments, busy blocks (cut at midnight when they span two days) and the open
 * slots between them, consecutive ones merged into one run. The expected items are built from what
 * the API answers (the week's open slots before anything is booked), not from the loader's code.
 */
import { type CalendarDay, type CalendarItem, loadWeek } from '../dashboard/loaders/calendar';
import { backends } from './support/databases';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

type Slot = { scheduled_at: string; ends_at: string };

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

/** What a day's items look like, in a form that reads well in a failed expectation. */
function summary(item: CalendarItem) {
  const span = { start: new Date(item.start).toISOString(), end: new Date(item.end).toISOString() };
  if (item.kind === 'appointment') return { kind: item.kind, ...span, id: item.appointment.id, leadName: item.leadName };
  if (item.kind === 'block') return { kind: item.kind, ...span, id: item.block.external_id };
  return { kind: item.kind, ...span, slots: item.slots };
}

/** One open run over consecutive slots. */
const openRun = (slots: Slot[]) => ({
  kind: 'open',
  start: new Date(at(slots[0]!.scheduled_at)).toISOString(),
  end: new Date(at(slots.at(-1)!.ends_at)).toISOString(),
  slots: slots.length,
});

const spanOf = (start: number, end: number) => ({ start: new Date(start).toISOString(), end: new Date(end).toISOString() });

describe.each(backends())('the dashboard calendar week on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Calendar Clinic', 'America/New_York');
  });
  afterAll(() => srv.close());

  const week = (day?: string) => loadWeek(srv.running.deps.database.db, srv.running.deps.config, clinic.clinic.id, day);
  const itemsOf = (day: CalendarDay) => day.items.map(summary);

  async function openSlots(days: CalendarDay[]): Promise<Slot[][]> {
    const query = new URLSearchParams({
      from: new Date(days[0]!.start).toISOString(),
      to: new Date(days[6]!.end).toISOString(),
      limit: '100',
    });
    const res = await clinic.api.get(`/api/v1/availability?${query}`);
    expect(res.status).toBe(200);
    const slots = res.body.data as Slot[];
    return days.map((d) => slots.filter((s) => at(s.scheduled_at) >= d.start && at(s.scheduled_at) < d.end));
  }

  async function book(fullName: string | undefined, email: string, slot: Slot): Promise<string> {
    const lead = await clinic.api.post('/api/v1/leads', { ...(fullName ? { full_name: fullName } : {}), email });
    expect(lead.status).toBe(201);
    const booked = await clinic.api.post('/api/v1/appointments', { lead_id: lead.body.id, ...slot });
    expect(booked.status).toBe(201);
    return booked.body.id;
  }

  async function block(id: string, start: number, end: number): Promise<void> {
    const res = await clinic.api.post('/api/v1/availability/blocks', {
      external_source: 'google_calendar',
      external_id: id,
      starts_at: new Date(start).toISOString(),
      ends_at: new Date(end).toISOString(),
    });
    expect(res.status).toBe(201);
  }

  it('lays out a week three weeks ahead: appointments, blocks cut at midnight, and open runs between them, in order', async () => {
    const ahead = new Date(Date.now() + 21 * DAY).toISOString().slice(0, 10);
    const empty = await week(ahead);
    const [mon, tue] = empty.days as [CalendarDay, CalendarDay, ...CalendarDay[]];
    const free = await openSlots(empty.days);
    expect(free.map((slots) => slots.length)).toEqual([16, 16, 16, 16, 16, 0, 0]);
    expect(empty.days.map(itemsOf)).toEqual(free.map((slots) => (slots.length ? [openRun(slots)] : [])));

    const [w0, w1, w2, w3, ...wRest] = free[2]! as [Slot, Slot, Slot, Slot, ...Slot[]];
    const alex = await book('Alex Smith', 'alex.calendar@example.com', w1);
    const nameless = await book(undefined, 'no.name@example.com', free[3]![0]!);
    await block('wed_meeting', at(w3.scheduled_at), at(w3.ends_at));
    await block('wed_over_alex', at(w1.scheduled_at), at(w1.ends_at));
    await block('mon_night', mon.end - HOUR, mon.end + HOUR);

    const shown = await week(ahead);
    expect(shown.days.map((d) => d.date)).toEqual(empty.days.map((d) => d.date));
    expect(itemsOf(shown.days[0]!)).toEqual([openRun(free[0]!), { kind: 'block', ...spanOf(mon.end - HOUR, mon.end), id: 'mon_night' }]);
    expect(itemsOf(shown.days[1]!)).toEqual([
      { kind: 'block', ...spanOf(tue.start, tue.start + HOUR), id: 'mon_night' },
      openRun(free[1]!),
    ]);
    expect(itemsOf(shown.days[2]!)).toEqual([
      openRun([w0]),
      { kind: 'block', ...spanOf(at(w1.scheduled_at), at(w1.ends_at)), id: 'wed_over_alex' },
      { kind: 'appointment', ...spanOf(at(w1.scheduled_at), at(w1.ends_at)), id: alex, leadName: 'Alex Smith' },
      openRun([w2]),
      { kind: 'block', ...spanOf(at(w3.scheduled_at), at(w3.ends_at)), id: 'wed_meeting' },
      openRun(wRest),
    ]);
    const [t0, ...tRest] = free[3]! as [Slot, ...Slot[]];
    expect(itemsOf(shown.days[3]!)).toEqual([
      { kind: 'appointment', ...spanOf(at(t0.scheduled_at), at(t0.ends_at)), id: nameless, leadName: 'no.name@example.com' },
      openRun(tRest),
    ]);
    expect(itemsOf(shown.days[4]!)).toEqual([openRun(free[4]!)]);
    expect(shown.days.slice(5).map((d) => d.items)).toEqual([[], []]);
  });

  it('names the week, its neighbours and this week, and gives each day its bounds and opening hours', async () => {
    const current = await week(undefined);
    expect(current.timeZone).toBe('America/New_York');
    expect(current.monday).toBe(current.thisWeek);
    expect(current.days.filter((d) => d.isToday)).toHaveLength(1);

    const shown = await week('2026-03-11'); // a Wednesday; clocks in New York moved on Sunday, March 8
    expect(shown).toMatchObject({ monday: '2026-03-09', previous: '2026-03-02', next: '2026-03-16', thisWeek: current.monday });
    expect(shown.days.map((d) => d.date)).toEqual([
      '2026-03-09',
      '2026-03-10',
      '2026-03-11',
      '2026-03-12',
      '2026-03-13',
      '2026-03-14',
      '2026-03-15',
    ]);
    expect(shown.days.every((d) => !d.isToday)).toBe(true);
    expect(new Date(shown.days[0]!.start).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    for (const [i, day] of shown.days.entries()) {
      expect(day.end - day.start).toBe(DAY);
      if (i > 0) expect(day.start).toBe(shown.days[i - 1]!.end);
    }
    const nineToFive = [{ opens: '09:00', closes: '17:00' }];
    expect(shown.days.map((d) => d.hours)).toEqual([nineToFive, nineToFive, nineToFive, nineToFive, nineToFive, [], []]);

    const before = await week('2026-03-08'); // a Sunday belongs to the week of the Monday before it
    expect(before.monday).toBe('2026-03-02');
    expect(before.days[6]!.end - before.days[6]!.start).toBe(DAY - HOUR);
    expect((await week('2026-02-31')).monday).toBe(current.monday); // not a date: this week
  });
});

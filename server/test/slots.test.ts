/** The booking engine's pure core: time zones, DST, opening hours, busy time, preferences. */
import { candidateSlots, findOpenSlots, overlapsAny, mergeIntervals, withinOpeningHours, type OpeningPeriod } from '../booking/slots';
import { fromLocal, toLocal } from '../booking/time';

const NY = 'America/New_York';
const weekdays9to5: OpeningPeriod[] = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens_at: '09:00:00', closes_at: '17:00:00' }));
const at = (s: string) => Date.parse(s);

describe('clinic time', () => {
  it('maps New York wall time to UTC on both sides of the DST changes of 2030', () => {
    expect(new Date(fromLocal(2030, 3, 8, 9, 0, NY)).toISOString()).toBe('2030-03-08T14:00:00.000Z'); // EST
    expect(new Date(fromLocal(2030, 3, 11, 9, 0, NY)).toISOString()).toBe('2030-03-11T13:00:00.000Z'); // EDT
    expect(new Date(fromLocal(2030, 11, 1, 9, 0, NY)).toISOString()).toBe('2030-11-01T13:00:00.000Z'); // EDT
    expect(new Date(fromLocal(2030, 11, 4, 9, 0, NY)).toISOString()).toBe('2030-11-04T14:00:00.000Z'); // EST
  });
  it('shifts a wall time inside the spring-forward gap forward, and picks the earlier of a repeated hour', () => {
    expect(new Date(fromLocal(2030, 3, 10, 2, 30, NY)).toISOString()).toBe('2030-03-10T07:30:00.000Z');
    expect(new Date(fromLocal(2030, 11, 3, 1, 30, NY)).toISOString()).toBe('2030-11-03T05:30:00.000Z');
  });
  it('reads local parts and the ISO weekday', () => {
    expect(toLocal(at('2030-03-11T13:00:00Z'), NY)).toMatchObject({ year: 2030, month: 3, day: 11, hour: 9, minute: 0, weekday: 1 });
    expect(toLocal(at('2030-03-10T12:00:00Z'), 'Asia/Kolkata')).toMatchObject({ hour: 17, minute: 30, weekday: 7 });
  });
});

describe('open slots', () => {
  const base = { timeZone: NY, slotMinutes: 30, hours: weekdays9to5, busy: [], now: 0, preference: 'any' as const, limit: 100 };

  it('yields 16 half-hour slots per weekday at 09:00-17:00 local time, none at weekends', () => {
    // Friday 8 March 2030 to Monday 11 March (DST starts on Sunday the 10th).
    const slots = findOpenSlots({ ...base, from: at('2030-03-08T05:00:00Z'), to: at('2030-03-12T04:00:00Z') });
    expect(slots).toHaveLength(32);
    expect(new Date(slots[0]!.start).toISOString()).toBe('2030-03-08T14:00:00.000Z');
    expect(new Date(slots[15]!.end).toISOString()).toBe('2030-03-08T22:00:00.000Z');
    expect(new Date(slots[16]!.start).toISOString()).toBe('2030-03-11T13:00:00.000Z'); // after the change
    expect(slots.every((s) => s.end - s.start === 30 * 60_000)).toBe(true);
  });

  it('never offers a slot before now, and honours limit', () => {
    const slots = findOpenSlots({
      ...base,
      from: at('2030-03-08T05:00:00Z'),
      to: at('2030-03-09T05:00:00Z'),
      now: at('2030-03-08T16:10:00Z'),
      limit: 3,
    });
    expect(slots.map((s) => new Date(s.start).toISOString())).toEqual([
      '2030-03-08T16:30:00.000Z',
      '2030-03-08T17:00:00.000Z',
      '2030-03-08T17:30:00.000Z',
    ]);
  });

  it('removes busy time, including partial overlaps', () => {
    const busy = [
      { start: at('2030-03-08T14:00:00Z'), end: at('2030-03-08T14:30:00Z') },
      { start: at('2030-03-08T14:45:00Z'), end: at('2030-03-08T15:10:00Z') },
    ];
    const slots = findOpenSlots({ ...base, busy, from: at('2030-03-08T05:00:00Z'), to: at('2030-03-09T05:00:00Z'), limit: 2 });
    expect(slots.map((s) => new Date(s.start).toISOString())).toEqual(['2030-03-08T15:30:00.000Z', '2030-03-08T16:00:00.000Z']);
  });

  it('filters by preference in clinic time', () => {
    const range = { from: at('2030-03-08T05:00:00Z'), to: at('2030-03-09T05:00:00Z') };
    const morning = findOpenSlots({ ...base, ...range, preference: 'morning' });
    const afternoon = findOpenSlots({ ...base, ...range, preference: 'afternoon' });
    const evening = findOpenSlots({ ...base, ...range, preference: 'evening' });
    expect(morning).toHaveLength(6); // 09:00-11:30
    expect(afternoon).toHaveLength(10); // 12:00-16:30
    expect(evening).toHaveLength(0);
  });

  it('merges intervals and finds overlaps by binary search', () => {
    const merged = mergeIntervals([
      { start: 5, end: 7 },
      { start: 1, end: 3 },
      { start: 2, end: 4 },
    ]);
    expect(merged).toEqual([
      { start: 1, end: 4 },
      { start: 5, end: 7 },
    ]);
    expect(overlapsAny(merged, 4, 5)).toBe(false);
    expect(overlapsAny(merged, 3, 6)).toBe(true);
    expect(overlapsAny(merged, 0, 1)).toBe(false);
    expect(overlapsAny(merged, 6.5, 9)).toBe(true);
  });

  it('checks that a booking lies inside opening hours', () => {
    expect(withinOpeningHours(NY, weekdays9to5, at('2030-03-11T13:00:00Z'), at('2030-03-11T13:30:00Z'))).toBe(true);
    expect(withinOpeningHours(NY, weekdays9to5, at('2030-03-11T12:30:00Z'), at('2030-03-11T13:30:00Z'))).toBe(false);
    expect(withinOpeningHours(NY, weekdays9to5, at('2030-03-11T20:45:00Z'), at('2030-03-11T21:15:00Z'))).toBe(false);
    expect(withinOpeningHours(NY, weekdays9to5, at('2030-03-10T15:00:00Z'), at('2030-03-10T15:30:00Z'))).toBe(false); // Sunday
  });

  it("is exact to the millisecond at closing time, and uses each day's own offset", () => {
    expect(withinOpeningHours(NY, weekdays9to5, at('2030-03-11T20:30:00Z'), at('2030-03-11T21:00:00Z'))).toBe(true); // 16:30-17:00 EDT
    expect(withinOpeningHours(NY, weekdays9to5, at('2030-03-11T20:30:00Z'), at('2030-03-11T21:00:00.001Z'))).toBe(false);
    expect(withinOpeningHours(NY, weekdays9to5, at('2030-03-11T12:59:59.999Z'), at('2030-03-11T13:30:00Z'))).toBe(false);
    expect(withinOpeningHours(NY, weekdays9to5, at('2030-03-08T21:30:00Z'), at('2030-03-08T22:00:00Z'))).toBe(true); // 16:30-17:00 EST
    expect(withinOpeningHours(NY, weekdays9to5, at('2030-03-11T21:30:00Z'), at('2030-03-11T22:00:00Z'))).toBe(false); // 17:30 EDT
  });
});

describe('slots on DST change days', () => {
  const allDay: OpeningPeriod[] = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens_at: '00:00:00', closes_at: '24:00:00' }));
  const wall = (ms: number, zone: string) => {
    const l = toLocal(ms, zone);
    return `${String(l.hour).padStart(2, '0')}:${String(l.minute).padStart(2, '0')}`;
  };
  const day = (zone: string, y: number, m: number, d: number, slotMinutes = 30) =>
    findOpenSlots({
      timeZone: zone,
      slotMinutes,
      hours: allDay,
      busy: [],
      now: 0,
      preference: 'any',
      limit: 1000,
      from: fromLocal(y, m, d, 0, 0, zone),
      to: fromLocal(y, m, d + 1, 0, 0, zone),
    });
  const wellFormed = (slots: Array<{ start: number; end: number }>, slotMinutes: number) => {
    for (let i = 0; i < slots.length; i++) {
      expect(slots[i]!.end - slots[i]!.start).toBe(slotMinutes * 60_000);
      if (i > 0) expect(slots[i]!.start).toBeGreaterThanOrEqual(slots[i - 1]!.end);
    }
  };

  it('skips the wall times that do not exist when clocks spring forward (New York, 10 March 2030)', () => {
    const slots = day(NY, 2030, 3, 10);
    expect(slots).toHaveLength(46);
    wellFormed(slots, 30);
    const times = slots.map((s) => wall(s.start, NY));
    expect(times).toContain('01:30');
    expect(times).not.toContain('02:00');
    expect(times).not.toContain('02:30');
    expect(times[times.indexOf('01:30') + 1]).toBe('03:00');
  });

  it('offers the repeated hour once when clocks fall back, with no overlapping or stretched slots (New York, 3 November 2030)', () => {
    const slots = day(NY, 2030, 11, 3);
    expect(slots).toHaveLength(48);
    wellFormed(slots, 30);
    expect(new Date(slots[3]!.start).toISOString()).toBe('2030-11-03T05:30:00.000Z'); // 01:30 EDT
    expect(new Date(slots[4]!.start).toISOString()).toBe('2030-11-03T07:00:00.000Z'); // 02:00 EST
  });

  it('handles a zone whose midnight does not exist (Santiago springs forward at 00:00)', () => {
    // Chile moves from 00:00 to 01:00 on a Sunday in early September; find the day in 2030.
    let sunday = 1;
    while (toLocal(fromLocal(2030, 9, sunday, 0, 0, 'America/Santiago'), 'America/Santiago').hour === 0) sunday++;
    expect(sunday).toBeLessThan(15);
    // Open on Sundays only, searched from the Saturday: nothing of Saturday evening may appear.
    const zone = 'America/Santiago';
    const slots = findOpenSlots({
      timeZone: zone,
      slotMinutes: 60,
      hours: [{ weekday: 7, opens_at: '00:00:00', closes_at: '24:00:00' }],
      busy: [],
      now: 0,
      preference: 'any',
      limit: 1000,
      from: fromLocal(2030, 9, sunday - 1, 0, 0, zone),
      to: fromLocal(2030, 9, sunday + 1, 0, 0, zone),
    });
    wellFormed(slots, 60);
    expect(slots.every((s) => toLocal(s.start, zone).weekday === 7)).toBe(true);
    const times = slots.map((s) => wall(s.start, 'America/Santiago'));
    expect(times[0]).toBe('01:00');
    expect(times).toHaveLength(23);
    expect(new Set(times).size).toBe(23);
  });

  it('generates the same slots as a day-by-day Intl resolution in many zones over a year', () => {
    const zones = ['Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham'];
    for (const zone of zones) {
      const from = fromLocal(2030, 1, 1, 0, 0, zone);
      const to = fromLocal(2031, 1, 1, 0, 0, zone);
      const slots = [
        ...candidateSlots({
          timeZone: zone,
          slotMinutes: 60,
          hours: [{ weekday: 3, opens_at: '08:00:00', closes_at: '12:00:00' }],
          from,
          to,
        }),
      ];
      expect(slots.length).toBeGreaterThanOrEqual(52 * 4);
      for (const s of slots) {
        const l = toLocal(s.start, zone);
        expect(l.weekday).toBe(3);
        expect(l.hour * 60 + l.minute).toBe(s.minute);
        expect(s.minute).toBeGreaterThanOrEqual(8 * 60);
        expect(s.end - s.start).toBe(3_600_000);
        const e = toLocal(s.end, zone);
        expect(e.hour * 60 + e.minute).toBeLessThanOrEqual(12 * 60);
      }
    }
  });
});

/** The booking engine's pure core: time zones, DST, opening hours, busy time, preferences. */
import { findOpenSlots, overlapsAny, mergeIntervals, withinOpeningHours, type OpeningPeriod } from '../../server/booking/slots';
import { fromLocal, toLocal } from '../../server/booking/time';

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
    const slots = findOpenSlots({ ...base, from: at('2030-03-08T05:00:00Z'), to: at('2030-03-09T05:00:00Z'), now: at('2030-03-08T16:10:00Z'), limit: 3 });
    expect(slots.map((s) => new Date(s.start).toISOString())).toEqual(['2030-03-08T16:30:00.000Z', '2030-03-08T17:00:00.000Z', '2030-03-08T17:30:00.000Z']);
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
    const merged = mergeIntervals([{ start: 5, end: 7 }, { start: 1, end: 3 }, { start: 2, end: 4 }]);
    expect(merged).toEqual([{ start: 1, end: 4 }, { start: 5, end: 7 }]);
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
});

/** lib/labels.ts: the words a dropdown shows for an item. */
import { intlTimeInWords, timeInWords } from '../../lib/labels';

/** What ICU says for the instant in the zone (what Zapier's Node says), as labels.ts words it. */
const icu = intlTimeInWords;

describe('timeInWords', () => {
  it('words an instant in the given time zone', () => {
    expect(timeInWords('2026-05-15T11:00:00.000Z', 'America/New_York')).toBe('Fri, May 15, 2026, 7:00 AM EDT');
    expect(timeInWords('2026-01-15T11:00:00.000Z', 'Europe/Berlin')).toBe(icu('2026-01-15T11:00:00.000Z', 'Europe/Berlin'));
  });

  it('words it in UTC, as ICU does, when there is no time zone or an unknown one', () => {
    // Every month and weekday, midnight and noon, single- and double-digit days and hours.
    const instants: string[] = [];
    for (let month = 0; month < 12; month++) {
      for (const [day, hour, minute] of [
        [1, 0, 0],
        [7, 9, 5],
        [14, 12, 0],
        [22, 12, 59],
        [28, 23, 30],
      ] as const) {
        instants.push(new Date(Date.UTC(2026 + (month % 3), month, day, hour, minute)).toISOString());
      }
    }
    instants.push('1999-12-31T23:59:59.999Z', '2026-05-15T11:00:00.000Z');
    for (const instant of instants) {
      const expected = icu(instant, 'UTC');
      expect([instant, timeInWords(instant, null)]).toEqual([instant, expected]);
      expect([instant, timeInWords(instant, undefined)]).toEqual([instant, expected]);
      expect([instant, timeInWords(instant, 'UTC')]).toEqual([instant, expected]);
      expect([instant, timeInWords(instant, 'Not/AZone')]).toEqual([instant, expected]);
    }
  });

  it('refuses an instant that is not one, with or without a time zone, as Intl does', () => {
    expect(() => icu('not a date', 'UTC')).toThrow(RangeError);
    expect(() => timeInWords('not a date', null)).toThrow(RangeError);
    expect(() => timeInWords('not a date', 'America/New_York')).toThrow(RangeError);
  });
});

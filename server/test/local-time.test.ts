/**
 * toLocal keeps a zone's offset per UTC hour (booking/time.ts): it must read every instant exactly
 * as Intl does, in zones with odd offsets, half-hour daylight saving, skipped days and historic
 * local mean time, and on both sides of every transition.
 */
import fc from 'fast-check';
import { intlLocal, toLocal } from '../booking/time';

const ZONES = [
  'UTC',
  'America/New_York',
  'Europe/London',
  'Europe/Amsterdam', // +00:19:32 local mean time until 1937
  'Asia/Kathmandu', // +05:45
  'Australia/Lord_Howe', // daylight saving of 30 minutes
  'America/St_Johns', // -03:30
  'Pacific/Chatham', // +12:45 / +13:45
  'Pacific/Apia', // skipped 30 December 2011
  'Africa/Casablanca', // daylight saving suspended for Ramadan
  'America/Sao_Paulo',
  'Asia/Tokyo',
];
const FROM = Date.UTC(1900, 0, 1);
const TO = Date.UTC(2100, 0, 1);

test('toLocal reads any instant as Intl does', () => {
  fc.assert(
    fc.property(fc.constantFrom(...ZONES), fc.integer({ min: FROM, max: TO }), (zone, at) => {
      expect(toLocal(at, zone)).toEqual(intlLocal(at, zone));
    }),
    { numRuns: 20_000 },
  );
});

test('toLocal reads every minute around each 2026 transition as Intl does', () => {
  for (const zone of ZONES) {
    // Find the instants of 2026 where the offset changes, an hour at a time, then check each minute around them.
    const offset = (at: number) => {
      const l = intlLocal(at, zone);
      return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - Math.floor(at / 1000) * 1000;
    };
    for (let at = Date.UTC(2026, 0, 1); at < Date.UTC(2027, 0, 1); at += 3_600_000) {
      if (offset(at) === offset(at + 3_600_000)) continue;
      for (let m = -90; m <= 150; m++) {
        const t = at + m * 60_000;
        expect(toLocal(t, zone)).toEqual(intlLocal(t, zone));
        expect(toLocal(t + 59_999, zone)).toEqual(intlLocal(t + 59_999, zone));
      }
    }
  }
});

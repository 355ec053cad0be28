/**
 * A busy page from its statement's row (services/booking.ts busyPageOf): the database sends the
 * page's intervals as three texts of epoch milliseconds, each sorted by start; the server merges
 * them as `range_agg` did (overlapping and touching intervals are one). The database side is in
 * availability-cost.test.ts (both backends).
 */
import { busyPageOf, type MergedBusyRow } from '../services/booking';

const row = (parts: Partial<MergedBusyRow>): MergedBusyRow => ({
  read: 0,
  last_start: null,
  appointments: null,
  under_way: null,
  blocks: null,
  ...parts,
});

describe('busyPageOf', () => {
  it('merges the three lists in order of start: touching and overlapping intervals are one', () => {
    const page = busyPageOf(
      row({ read: 3, last_start: 700, under_way: '50,110', appointments: '100,200,300,400,600,700', blocks: '200,250,380,450,800,900' }),
      32,
    );
    expect(page.busy).toEqual([
      { start: 50, end: 250 },
      { start: 300, end: 450 },
      { start: 600, end: 700 },
      { start: 800, end: 900 },
    ]);
    expect(page.knownUntil).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps a block that starts before the appointment under way, and one inside another', () => {
    const page = busyPageOf(row({ read: 1, under_way: '100,300', appointments: '300,350', blocks: '20,120,310,320' }), 32);
    expect(page.busy).toEqual([{ start: 20, end: 350 }]);
  });

  it('reads instants before 1970 (negative epoch milliseconds) and today-sized ones exactly', () => {
    const page = busyPageOf(row({ blocks: '-315619200000,1796634900000', appointments: '1796634900000,1796635800000' }), 32);
    expect(page.busy).toEqual([{ start: -315619200000, end: 1796635800000 }]);
  });

  it('knows the busy time only up to the last start of a full page, and nothing of an empty one', () => {
    expect(busyPageOf(row({ read: 2, last_start: 300, appointments: '100,200,300,400' }), 2).knownUntil).toBe(300);
    expect(busyPageOf(undefined, 32)).toEqual({ busy: [], knownUntil: Number.POSITIVE_INFINITY });
    expect(busyPageOf(row({}), 32).busy).toEqual([]);
  });
});

/**
 * GET /availability: the busy pages of the searches that run together, read in one statement
 * (services/concurrent-groups.ts), on both backends. Each search's clinic and window are a row of
 * `unnest(...) with ordinality`, and its page is a lateral subquery over that row: the statement a
 * search alone sends (services/booking.ts loadMergedBusy), its operands read from the row. Searches
 * group with searches reading pages of the same size (one statement text per page size). Nothing
 * is kept: every search reads its busy time from the database.
 */
import { sql } from 'kysely';
import { type BusyPage, type BusyReader, busyPageOf, loadMergedBusy, type MergedBusyRow, mergedBusyStatement } from './booking';
import { type ConcurrentGroupsOptions, groupConcurrent } from './concurrent-groups';
import { isoAt } from './serialize';
import type { Db } from './transaction';

interface BusyRead {
  clinicId: string;
  from: number;
  to: number;
  appointments: number;
}

/**
 * The busy pages of searches reading pages of one size, in their order. Each array sits behind a
 * scalar subquery, so that no plan knows the group's length (as the list's grouped statement,
 * services/appointment-pages.ts): a custom plan of a group under 10 was costed cheaper than the
 * generic plan (10 rows), and PostgreSQL planned the statement again on most calls once groups
 * were small (issue 20, round 11: 840 plans in 1,042 calls, 0.40 ms each, when small searches'
 * first reads got shorter). The plan is the same either way: every value reaches the page
 * through the lateral row.
 */
async function busyPagesTogether(db: Db, reads: BusyRead[]): Promise<BusyPage[]> {
  const appointments = (reads[0] as BusyRead).appointments;
  const column = (name: string) => sql`${sql.ref(`r.${name}`)}`;
  const page = mergedBusyStatement({ clinicId: column('clinic_id'), from: column('from_at'), to: column('to_at') }, appointments);
  const { rows } = await sql<MergedBusyRow & { ord: string }>`
    select r.ord, x.busy, x.read, x.last_start
    from unnest((select ${reads.map((b) => b.clinicId)}::uuid[]), (select ${reads.map((b) => isoAt(b.from))}::timestamptz[]),
      (select ${reads.map((b) => isoAt(b.to))}::timestamptz[])) with ordinality as r(clinic_id, from_at, to_at, ord)
    cross join lateral (${page}) x`.execute(db);
  const byRead: (MergedBusyRow | undefined)[] = reads.map(() => undefined);
  for (const row of rows) byRead[Number(row.ord) - 1] = row;
  return byRead.map((row) => busyPageOf(row, appointments));
}

/**
 * The busy reads of GET /availability, grouped on both backends. On PGlite (one thread for the
 * server and the database) grouping was left out in round 8: it saved about a third of a search's
 * CPU but only the statement's fixed cost, and the full calendar's p50 over the empty one's rose
 * from about 1.15 to 1.3-1.5. Since round 11 a small search's first read covers only its first
 * limit + 32 slots (services/booking.ts smallFirstReadEnd): grouped, a search with a new URL every
 * request costs about 0.44 ms of the thread instead of 0.72 ms (issue 20, round 12). The trade is
 * still there: the full calendar's page (about 23 appointments and 6 blocks) costs about 60 us
 * more per search either way, so the "10k appointments + 1k blocks vs empty" p50 ratio rose from
 * a median of about 1.18 to about 1.36 in six bench runs each on a busy machine (goal 1.3).
 * That difference is PostgreSQL's own work (the WebAssembly share of a CPU profile: about 56 us
 * more per request on the full calendar, nothing more in JavaScript): reading the appointments
 * and blocks and merging them. Of what was tried, JSON pairs unmerged cost more, text output
 * saved about 5 us and a first read of limit + 16 slots about 10 us (FIRST_READ_SPARE_SLOTS).
 */
export function availabilityBusyReads(database: { db: Db }): BusyReader {
  return createBusyReads(database.db);
}

/** A BusyReader (loadMergedBusy's answers) that reads the pages of concurrent searches together. */
export function createBusyReads(db: Db, options: ConcurrentGroupsOptions = {}): BusyReader {
  const read = groupConcurrent<BusyRead, BusyPage>({
    ...options,
    shapeOf: (b) => String(b.appointments),
    alone: (b) => loadMergedBusy(db, b.clinicId, b.from, b.to, b.appointments),
    together: (reads) => busyPagesTogether(db, reads),
  });
  return (clinicId, from, to, appointments) => read({ clinicId, from, to, appointments });
}

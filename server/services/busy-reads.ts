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
    select r.ord, x.read, x.last_start, x.appointments, x.under_way, x.blocks
    from unnest((select ${reads.map((b) => b.clinicId)}::uuid[]), (select ${reads.map((b) => isoAt(b.from))}::timestamptz[]),
      (select ${reads.map((b) => isoAt(b.to))}::timestamptz[])) with ordinality as r(clinic_id, from_at, to_at, ord)
    cross join lateral (${page}) x`.execute(db);
  const byRead: (MergedBusyRow | undefined)[] = reads.map(() => undefined);
  for (const row of rows) byRead[Number(row.ord) - 1] = row;
  return byRead.map((row) => busyPageOf(row, appointments));
}

/**
 * The busy reads of GET /availability: grouped on PostgreSQL; on PGlite each search's own
 * statement (undefined: answerAvailability's default). On PGlite (one thread for the server and
 * the database) grouping saves the statement's fixed cost, a third of a search (about 0.44 ms of
 * the thread instead of 0.72 with a new URL every request), but not a full calendar's page: its
 * appointments and blocks cost PostgreSQL about 56 us more per search than an empty calendar's,
 * grouped or not (reading the appointments 20-40 us, the blocks 5-8, merging and JSON 25-40, which
 * the server does since round 15, services/booking.ts mergedBusyStatement;
 * a first read of limit + 16 slots would save about 10 us and send 6.7 % of the bench's year
 * calendar searches to a second read of about 1.2 ms). So grouped, the bench's "10k appointments
 * + 1k blocks vs empty" p50 ratio (goal 1.3) came out at 1.436, 1.40 (and in-process CPU about
 * 1.5), against 1.205 and 1.263 alone, while PGlite's throughput goal (0.06) is met alone too
 * (0.065, 0.079) (issue 20, rounds 8 and 12).
 */
export function availabilityBusyReads(database: { db: Db; kind: 'pglite' | 'postgres' }): BusyReader | undefined {
  return database.kind === 'postgres' ? createBusyReads(database.db) : undefined;
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

/**
 * GET /appointments answers with JSON the database writes (services/appointment-json.ts). It must
 * be byte for byte what the TypeScript serializer writes for the same page, for any stored text
 * (quotes, backslashes, control characters, any Unicode, names split on any ASCII white space), any
 * instant of years 1-9999 with microseconds, nulls, and every way of paging; on both backends. And
 * the pages of requests grouped into one statement (services/appointment-pages.ts) must be what
 * each request gets alone, for every query form, errors included, each its own request's.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { toAppointment } from '../services/serialize';
import { APPOINTMENT_JSON_COLUMNS } from '../services/appointment-json';
import { createAppointmentPages } from '../services/appointment-pages';
import { listAppointments, listAppointmentsJson } from '../services/appointments';
import { createClinic } from '../services/clinics';
import type { DatabaseHandle } from '../db/connect';
import { backends, openTestDatabase } from './support/databases';

const links = { publicUrl: 'https://qb.example.com/base' };

const tricky = fc.string({
  unit: fc.constantFrom(
    'a',
    'Z',
    ' ',
    '\t',
    '\n',
    '\r',
    '\f',
    '\v',
    '"',
    '\\',
    '/',
    "'",
    '\u0007',
    '\u001f',
    '\u007f',
    'é',
    '日',
    '😀',
    '\u2028',
    '\u00a0',
  ),
  maxLength: 12,
});
const text = fc.oneof(
  tricky,
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.replaceAll('\0', '')),
);
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
/** An instant of years 1-9999 with microseconds, as PostgreSQL reads it; `plus` microseconds later. */
const at = ([year, day, micros]: [number, number, number], plus = 0): string => {
  const start = new Date(Date.UTC(2001, 0, 1) + day * 86_400_000);
  start.setUTCFullYear(year);
  const total = micros + plus;
  const time = new Date(start.getTime() + Math.floor(total / 1_000_000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  return `${time}.${String(total % 1_000_000).padStart(6, '0')}+00`;
};
const moment = fc.tuple(fc.integer({ min: 1, max: 9998 }), fc.integer({ min: 0, max: 364 }), fc.integer({ min: 0, max: 86_399_999_999 }));
const instant = moment.map((m) => at(m));

const appointment = fc.record({
  fullName: nullable(text),
  phone: nullable(text),
  email: text,
  agentName: nullable(text),
  status: fc.constantFrom('confirmed', 'completed', 'no_show', 'cancelled'),
  title: nullable(text),
  notes: nullable(text),
  createdAt: instant,
  updatedAt: instant,
  cancelledAt: nullable(instant),
  startsAt: moment,
});

type StoredAppointment = typeof appointment extends fc.Arbitrary<infer R> ? R : never;

describe.each(backends())('appointments as JSON from the database on %s', (backend) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(() => database.close());

  /** A fresh clinic holding `rows`: each with its own lead and, when named, its own agent. */
  async function seed(rows: StoredAppointment[]) {
    const { clinic } = await createClinic(database.db, 'Json Clinic', 'UTC');
    const db = database.db;
    const starts = new Set<string>();
    for (const [i, row] of rows.entries()) {
      const lead = await db
        .insertInto('leads')
        .values({ clinic_id: clinic.id, full_name: row.fullName, phone: row.phone, email: row.email })
        .returning('id')
        .executeTakeFirstOrThrow();
      const agent =
        row.agentName === null
          ? null
          : await db
              .insertInto('agents')
              .values({ clinic_id: clinic.id, name: row.agentName, direction: 'inbound' })
              .returning('id')
              .executeTakeFirstOrThrow();
      // Each its own start and one microsecond long: no two overlap.
      let startsAt = at(row.startsAt, i);
      for (let more = rows.length; starts.has(startsAt); more += rows.length) startsAt = at(row.startsAt, i + more);
      starts.add(startsAt);
      await db
        .insertInto('appointments')
        .values({
          clinic_id: clinic.id,
          lead_id: lead.id,
          assigned_to: agent?.id ?? null,
          status: row.status,
          title: row.title,
          notes: row.notes,
          scheduled_at: startsAt,
          ends_at: sql<Date>`${startsAt}::timestamptz + interval '1 microsecond'`,
          created_at: row.createdAt,
          updated_at: row.updatedAt,
          cancelled_at: row.cancelledAt,
        })
        .execute();
    }
    return clinic.id;
  }

  it('writes every page byte for byte as the serializer does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(appointment, { minLength: 0, maxLength: 5 }), fc.integer({ min: 1, max: 3 }), async (rows, perPage) => {
        const clinicId = await seed(rows);
        const queries = [
          { page: 1, per_page: perPage },
          { page: 2, per_page: perPage },
          { page: 9, per_page: perPage },
          { page: 1, per_page: perPage, status: 'cancelled' as const },
        ];
        const first = await listAppointments(database.db, links, clinicId, { page: 1, per_page: 1 } as never);
        const cursor = first.data[0]?.id;
        if (cursor) queries.push({ page: 1, per_page: perPage, starting_after: cursor } as never);
        for (const q of queries) {
          const expected = JSON.stringify(await listAppointments(database.db, links, clinicId, q as never));
          expect(await listAppointmentsJson(database.db, links, clinicId, q as never)).toBe(expected);
        }
      }),
      { numRuns: 25 },
    );
  });

  /**
   * Requests of a few forms (first page, later page or cursor; per_page; which filters), so that
   * requests of one form meet in one statement, with values of their own: a page number, a
   * cursor (an appointment's id, an unknown one, or with a page), filter values, and now and then
   * a lead_id the database refuses. Items are picked by index once the clinics exist.
   */
  /** Whether a form has a filter: one in three (a page a filter empties is answered alone). */
  const filtered = fc.constantFrom(false, false, true);
  const form = fc.record({
    mode: fc.constantFrom('first', 'later', 'cursor'),
    per_page: fc.integer({ min: 1, max: 3 }),
    status: filtered,
    lead: filtered,
    from: filtered,
    to: filtered,
  });
  const boundary = fc.oneof(
    fc.integer({ min: 1, max: 9999 }).map((year) => `${String(year).padStart(4, '0')}-06-15`),
    fc.integer({ min: 1, max: 9998 }).map((year) => `${String(year).padStart(4, '0')}-01-01T12:00:00+05:30`),
  );
  const unknownId = '00000000-0000-4000-8000-000000000000';
  const request = fc.record({
    clinic: fc.nat(),
    form: fc.nat(),
    page: fc.integer({ min: 1, max: 4 }),
    status: fc.constantFrom('confirmed', 'completed', 'no_show', 'cancelled'),
    lead: fc.oneof({ arbitrary: fc.nat(), weight: 8 }, { arbitrary: fc.constantFrom(unknownId, 'not-a-uuid'), weight: 1 }),
    from: boundary,
    to: boundary,
    cursor: fc.oneof({ arbitrary: fc.nat(), weight: 8 }, { arbitrary: fc.constant(unknownId), weight: 1 }),
  });
  type Form = typeof form extends fc.Arbitrary<infer R> ? R : never;
  type Request = typeof request extends fc.Arbitrary<infer R> ? R : never;
  const pick = <T>(items: T[], i: number | string): T | string => (typeof i === 'string' ? i : (items[i % items.length] ?? unknownId));

  function listQuery(f: Form, r: Request, items: { id: string; lead_id: string }[]) {
    const [appointmentIds, leadIds] = [items.map((a) => a.id), items.map((a) => a.lead_id)];
    const page = f.mode === 'later' ? Math.max(2, r.page) : f.mode === 'cursor' && r.page === 4 ? 2 : 1;
    return {
      page,
      per_page: f.per_page,
      status: f.status ? r.status : undefined,
      lead_id: f.lead ? pick(leadIds, r.lead) : undefined,
      from: f.from ? r.from : undefined,
      to: f.to ? r.to : undefined,
      starting_after: f.mode === 'cursor' ? pick(appointmentIds, r.cursor) : undefined,
    };
  }

  /** A request's outcome: its text, or its error's class, message and details. */
  const settle = (answer: Promise<string>) =>
    answer.then(
      (text) => text,
      (error) => ({ name: error?.name, message: error?.message, details: error?.details }),
    );

  it('answers the requests grouped into one statement as it answers each alone', async () => {
    const sizes: number[] = [];
    const pages = createAppointmentPages(database.db, links, { onStatement: (n) => sizes.push(n) });
    const clinics = fc.array(fc.array(appointment, { maxLength: 8 }), { minLength: 1, maxLength: 3 });
    const forms = fc.array(form, { minLength: 1, maxLength: 3 });
    const requests = fc.array(request, { minLength: 2, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(clinics, forms, requests, async (stored, someForms, some) => {
        const clinicIds: string[] = [];
        for (const rows of stored) clinicIds.push(await seed(rows));
        const items = await database.db
          .selectFrom('appointments')
          .select(['clinic_id', 'id', 'lead_id'])
          .where('clinic_id', 'in', clinicIds)
          .execute();
        const requests = some.map((r) => {
          const clinicId = clinicIds[r.clinic % clinicIds.length] as string;
          const own = items.filter((a) => a.clinic_id === clinicId);
          return { clinicId, q: listQuery(someForms[r.form % someForms.length] as Form, r, own) as never };
        });
        const alone = [];
        for (const r of requests) alone.push(await settle(listAppointmentsJson(database.db, links, r.clinicId, r.q)));
        const together = await Promise.all(requests.map((r) => settle(pages(r.clinicId, r.q))));
        expect(together).toEqual(alone);
      }),
      { numRuns: 30 },
    );
    // Not a vacuous property: statements did answer several requests.
    expect(Math.max(...sizes)).toBeGreaterThan(1);
  });
});

test("the database's fields are toAppointment's, in its order (url last)", () => {
  const sample = toAppointment(
    {
      id: 'i',
      clinic_id: 'c',
      lead_id: 'l',
      assigned_to: null,
      status: 'confirmed',
      scheduled_at: new Date(0),
      ends_at: new Date(0),
      title: null,
      notes: null,
      created_at: new Date(0),
      updated_at: new Date(0),
      cancelled_at: null,
      lead: null,
      assigned_to_name: null,
    },
    links,
  );
  expect([...APPOINTMENT_JSON_COLUMNS.map(([key]) => key), 'url']).toEqual(Object.keys(sample));
});

/**
 * PostgreSQL keeps one plan of the grouped page statement per connection (its generic plan, after
 * five runs) rather than planning it again for every group: groups of any size under the
 * parameter estimate of 10 once made each custom plan look cheaper (issue 20, round 10). Read from
 * the connection's own prepared statements, in one transaction so every statement runs on it.
 */
for (const backend of backends().filter((b) => b === 'postgres')) {
  describe(`the grouped page statement's plan on ${backend}`, () => {
    let database: DatabaseHandle;
    beforeAll(async () => {
      database = await openTestDatabase(backend);
    });
    afterAll(() => database.close());

    it('is planned once, then run from its generic plan, whatever the group size', async () => {
      const { clinic } = await createClinic(database.db, 'Plan Clinic', 'UTC');
      const plans = await database.db.transaction().execute(async (trx) => {
        const sizes: number[] = [];
        const pages = createAppointmentPages(trx, links, { onStatement: (n) => sizes.push(n) });
        for (let round = 0; round < 12; round++) {
          // One request goes alone, the next ones of the round meet in one statement: 2 to 4 of them.
          const group = 3 + (round % 3);
          const answers = await Promise.all(Array.from({ length: group }, () => pages(clinic.id, { page: 1, per_page: 25 } as never)));
          for (const answer of answers) expect(JSON.parse(answer).meta).toEqual({ page: 1, per_page: 25, total: 0, has_more: false });
        }
        expect(Math.max(...sizes)).toBeGreaterThan(1);
        const { rows } = await sql<{ generic_plans: string; custom_plans: string }>`
          select generic_plans, custom_plans from pg_prepared_statements
          where statement like '%with ordinality as r(clinic_id, status, lead_id%'`.execute(trx);
        return rows.map((row) => ({ generic: Number(row.generic_plans), custom: Number(row.custom_plans) }));
      });
      expect(plans).toHaveLength(1);
      const [{ generic, custom }] = plans as [{ generic: number; custom: number }];
      expect(custom).toBeLessThanOrEqual(5);
      expect(generic).toBeGreaterThan(0);
      expect(generic + custom).toBeGreaterThan(8);
    });
  });
}

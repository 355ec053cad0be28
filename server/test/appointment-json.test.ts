/**
 * GET /appointments answers with JSON the database writes (services/appointment-json.ts). It must
 * be byte for byte what the TypeScript serializer writes for the same page, for any stored text
 * (quotes, backslashes, control characters, any Unicode, names split on any ASCII white space), any
 * instant of years 1-9999 with microseconds, nulls, and every way of paging; on both backends. And
 * the pages of requests grouped into one statement (services/appointment-pages.ts) must be what
 * each request gets alone, for every query form, errors included, each its own request's.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { type KyselyPlugin, sql } from 'kysely';
import { up as storeJson } from '../db/migrations/023_stored_json';
import { toAppointment } from '../services/serialize';
import { APPOINTMENT_JSON_KEYS } from '../services/appointment-json';
import { createAppointmentPages } from '../services/appointment-pages';
import { cancelAppointment, listAppointments, listAppointmentsJson, updateAppointment } from '../services/appointments';
import { type BookingValues, bookAlone, createBookingGroups } from '../services/booking-groups';
import { createClinic } from '../services/clinics';
import { createOrUpdateLead, updateLead } from '../services/leads';
import { envelopeFrame } from '../webhooks/outbox';
import type { DatabaseHandle } from '../db/connect';
import { backends, openTestDatabase } from './support/databases';
import { expectGenericPlanKept, groupedStatementPlans } from './support/plans';

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

  it("builds a shape's grouped statement once and runs it with each group's own values", async () => {
    const clinicIds = [
      await seed(fc.sample(appointment, { numRuns: 3, seed: 14 })),
      await seed(fc.sample(appointment, { numRuns: 2, seed: 15 })),
    ];
    const groupedNodes: unknown[] = [];
    const observer: KyselyPlugin = {
      transformQuery: ({ node }) => {
        if (node.kind === 'RawNode' && node.sqlFragments.some((f) => f.includes('with ordinality as r('))) groupedNodes.push(node);
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    const pages = createAppointmentPages(database.db.withPlugin(observer), links);
    const q = (per_page: number) => ({ page: 1, per_page }) as never;
    const answers = async (per_page: number) => Promise.all([...clinicIds, ...clinicIds].map((id) => pages(id, q(per_page))));
    for (const per_page of [2, 2, 3, 2]) {
      const alone = await Promise.all([...clinicIds, ...clinicIds].map((id) => listAppointmentsJson(database.db, links, id, q(per_page))));
      expect(await answers(per_page)).toEqual(alone);
    }
    // Four rounds of grouped requests: per_page 2 three times (one statement built), 3 once (another).
    expect(new Set(groupedNodes).size).toBe(2);
    expect(groupedNodes.length).toBeGreaterThanOrEqual(4);
  });

  /** The list's text, checked against the serializer's, and the appointments it holds. */
  async function listed(clinicId: string): Promise<{ id: string; lead_id: string }[]> {
    const q = { page: 1, per_page: 100 } as never;
    const expected = JSON.stringify(await listAppointments(database.db, links, clinicId, q));
    expect(await listAppointmentsJson(database.db, links, clinicId, q)).toBe(expected);
    expect(await createAppointmentPages(database.db, links)(clinicId, q)).toBe(expected);
    return JSON.parse(expected).data;
  }

  /** 2090-01-02 is a Monday: its half hours from 09:00 UTC are open in a new clinic (UTC, 9 to 5). */
  const slot = (n: number) => new Date(Date.parse('2090-01-02T09:00:00Z') + n * 30 * 60_000).toISOString();

  /** A booking's statement values, as bookAppointment writes them. */
  const bookingValues = (
    clinicId: string,
    leadId: string,
    agentId: string | null,
    n: number,
    title: string | null,
    notes: string | null,
  ): BookingValues => {
    const [appointment, lead] = [envelopeFrame('appointment.created'), envelopeFrame('lead.updated')];
    return [
      clinicId,
      leadId,
      agentId,
      slot(n),
      slot(n + 1),
      title,
      notes,
      true,
      appointment.id,
      appointment.before,
      lead.id,
      lead.before,
      appointment.created,
      links.publicUrl,
      randomUUID(),
    ];
  };

  /**
   * The stored parts of the JSON (migration 023) are rewritten by every write of what they are made
   * of: appointments booked alone and in a group (migration 019/021's statements), inserted directly
   * (fixtures, seeds), edited, rescheduled and cancelled (services/appointments.ts); leads created and
   * their name, phone or email changed (services/leads.ts); an agent renamed. The list stays byte for
   * byte the serializer's after each.
   */
  it('stays exact after every kind of write', async () => {
    const edit = fc.record({
      title: nullable(text),
      notes: nullable(text),
      status: fc.constantFrom('confirmed' as const, 'completed' as const, 'no_show' as const),
      agent: fc.boolean(),
      reschedule: fc.boolean(),
      cancel: fc.boolean(),
    });
    const contact = fc.record({ full_name: nullable(text), phone: nullable(text), email: text });
    await fc.assert(
      fc.asyncProperty(
        fc.array(appointment, { maxLength: 3 }),
        fc.array(fc.tuple(nullable(text), nullable(text)), { minLength: 1, maxLength: 4 }),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        fc.array(contact, { minLength: 1, maxLength: 3 }),
        nullable(text),
        async (rows, bookings, edits, contacts, agentName) => {
          const clinicId = await seed(rows);
          const db = database.db;
          const agentId = (await db.selectFrom('agents').select('id').where('clinic_id', '=', clinicId).executeTakeFirstOrThrow()).id;
          const { lead } = await createOrUpdateLead(db, links, clinicId, { full_name: 'Ada  Lovelace', email: 'ada@example.com' } as never);
          // Booked: the first alone, the others together in one grouped statement.
          const group = createBookingGroups(database);
          const booked = await Promise.all(
            bookings.map(([title, notes], i) =>
              (i === 0 ? bookAlone(database) : group)(bookingValues(clinicId, lead.id, i % 2 ? agentId : null, i, title, notes)),
            ),
          );
          const items = await listed(clinicId);
          // The booking's own answer (and its event's) is byte for byte the list's text of the same appointment.
          for (const row of booked) {
            const own = JSON.parse(row?.appointment ?? 'null');
            expect(JSON.stringify(items.find((a) => a.id === own.id))).toBe(row?.appointment);
          }
          const cancelled = new Set<string>();
          for (const [i, change] of edits.entries()) {
            const target = items[i % items.length] as { id: string; lead_id: string; status: string };
            if (target.status === 'cancelled' || cancelled.has(target.id)) continue;
            await updateAppointment(db, links, clinicId, target.id, {
              title: change.title,
              notes: change.notes,
              status: change.status,
              assigned_to: change.agent ? agentId : null,
              ...(change.reschedule ? { scheduled_at: slot(8 + 2 * i), ends_at: slot(9 + 2 * i) } : {}),
            });
            if (change.cancel) {
              await cancelAppointment(db, links, clinicId, target.id);
              cancelled.add(target.id);
            }
            await listed(clinicId);
          }
          for (const [i, change] of contacts.entries()) {
            const target = items[i % items.length] as { lead_id: string };
            await updateLead(db, links, clinicId, target.lead_id, change as never);
            await listed(clinicId);
          }
          await db
            .updateTable('agents')
            .set({ name: agentName ?? 'Renamed' })
            .where('id', '=', agentId)
            .execute();
          await listed(clinicId);
        },
      ),
      { numRuns: 15 },
    );
  });

  /** Migration 023 fills the stored parts of the rows written before it. */
  it('fills the stored JSON of existing rows when migrated', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(appointment, { minLength: 1, maxLength: 4 }), async (rows) => {
        const db = database.db;
        // The database as it was before migration 023, with rows written then.
        await sql`drop trigger appointments_tail_json on appointments`.execute(db);
        await sql`drop trigger appointments_tail_json_update on appointments`.execute(db);
        await sql`drop trigger leads_contact_json on leads`.execute(db);
        await sql`drop function qb_appointment_tail_json()`.execute(db);
        await sql`drop function qb_lead_contact_json()`.execute(db);
        await sql`alter table appointments drop column tail_json`.execute(db);
        await sql`alter table leads drop column contact_json`.execute(db);
        const clinicId = await seed(rows);
        await storeJson(db as never);
        await listed(clinicId);
      }),
      { numRuns: 5 },
    );
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
  expect(APPOINTMENT_JSON_KEYS).toEqual(Object.keys(sample));
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
      // One request goes alone, the next ones of a round meet in one statement: 2 to 4 of them.
      const plans = await groupedStatementPlans(
        database.db,
        'with ordinality as r(clinic_id, status, lead_id',
        (trx, sizes) => {
          const pages = createAppointmentPages(trx, links, { onStatement: (n) => sizes.push(n) });
          return () => pages(clinic.id, { page: 1, per_page: 25 } as never);
        },
        (answer) => expect(JSON.parse(answer).meta).toEqual({ page: 1, per_page: 25, total: 0, has_more: false }),
      );
      expectGenericPlanKept(plans);
    });
  });
}

/**
 * Issue 20: the lists whose page cost does not grow with the clinic (appointments, leads, campaign
 * contacts), on both backends. A cursor (`starting_after`) beside page numbers: its walk, its
 * stability while records are added, its refusals and how it combines with page and filters;
 * `meta.has_more`; and `meta.total` from the counts the database keeps (migration 011), exact
 * after concurrent API writes and plain SQL of every kind.
 */
import { sql } from 'kysely';
import { Appointment, CampaignContact, CursorPageMeta, Lead, listOf } from '../../contract';
import { ALL_WEEK_ALL_DAY, freshClient, futureMonday, setOpeningHours, slotsOfDay } from './support/booking';
import { backends } from './support/databases';
import type { ApiClient, ApiResponse, TestClinic, TestServer } from './support/server';
import { startTestServer } from './support/server';

const AppointmentList = listOf(Appointment, 'AppointmentList', CursorPageMeta);
const LeadList = listOf(Lead, 'LeadList', CursorPageMeta);
const ContactList = listOf(CampaignContact, 'CampaignContactList', CursorPageMeta);
const MISSING = '00000000-0000-4000-8000-000000000000';
const HOUR = 3_600_000;

function expectInvalid(res: ApiResponse, path: string) {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status: 400, code: 'invalid_input' });
  expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
  return res.body.error as string;
}

/** Every item of a list, following `starting_after` from page to page until has_more is false. */
async function walk(api: ApiClient, path: string, perPage: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  for (let after: string | undefined; ; ) {
    const res = await api.get(`${path}${path.includes('?') ? '&' : '?'}per_page=${perPage}${after ? `&starting_after=${after}` : ''}`);
    expect(res.status).toBe(200);
    const { data, meta } = res.body as { data: { id: string }[]; meta: { has_more: boolean } };
    pages++;
    ids.push(...data.map((item) => item.id));
    if (!meta.has_more) return { ids, pages };
    after = data.at(-1)?.id;
    if (pages > 100) throw new Error('the walk does not end');
  }
}

describe.each(backends())('list pagination on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let api: ApiClient;
  let leadId: string;
  let nextStart = Date.UTC(2031, 0, 1);
  const db = () => srv.running.deps.database.db;

  /** `n` appointments of `clinicId` inserted by plain SQL in statements of `batch` (rows of a statement share created_at). */
  async function insertAppointments(clinicId: string, lead: string, n: number, batch = n): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i += batch) {
      const rows = Array.from({ length: Math.min(batch, n - i) }, () => {
        nextStart += HOUR;
        return { clinic_id: clinicId, lead_id: lead, scheduled_at: new Date(nextStart), ends_at: new Date(nextStart + HOUR / 2) };
      });
      ids.push(...(await db().insertInto('appointments').values(rows).returning('id').execute()).map((r) => r.id));
    }
    return ids;
  }

  /** The clinic's appointment ids in the list's order, from the database itself. */
  async function orderedIds(clinicId: string, status?: string): Promise<string[]> {
    let q = db().selectFrom('appointments').select('id').where('clinic_id', '=', clinicId);
    if (status) q = q.where('status', '=', status);
    return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map((r) => r.id);
  }

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Cursor Clinic');
    other = await srv.clinic('Other Cursor Clinic');
    leadId = Lead.parse((await clinic.api.post('/api/v1/leads', { full_name: 'Paged Lead', phone: '+14155550171' })).body).id;
    await insertAppointments(clinic.clinic.id, leadId, 7, 1);
    await insertAppointments(clinic.clinic.id, leadId, 10, 5);
  });
  beforeEach(async () => {
    api = await freshClient(srv, clinic.clinic.id);
  });
  afterAll(() => srv.close());

  describe('appointments', () => {
    it('a cursor walk returns every appointment once, in the order of the page numbers, and has_more ends it', async () => {
      const expected = await orderedIds(clinic.clinic.id);
      expect(expected.length).toBeGreaterThanOrEqual(17);
      const { ids, pages } = await walk(api, '/api/v1/appointments', 4);
      expect(ids).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / 4));
      const byNumber: string[] = [];
      for (let page = 1; page <= pages; page++) {
        const res = AppointmentList.parse((await api.get(`/api/v1/appointments?per_page=4&page=${page}`)).body);
        expect(res.meta).toEqual({ page, per_page: 4, total: expected.length, has_more: page < pages });
        byNumber.push(...res.data.map((a) => a.id));
      }
      expect(byNumber).toEqual(expected);
    });

    it('the pages after a cursor stay put while appointments are added (page numbers shift)', async () => {
      const first = AppointmentList.parse((await api.get('/api/v1/appointments?per_page=3')).body);
      const second = AppointmentList.parse((await api.get('/api/v1/appointments?per_page=3&page=2')).body);
      const last = first.data.at(-1)!.id;
      const added = await insertAppointments(clinic.clinic.id, leadId, 2);
      const afterCursor = AppointmentList.parse((await api.get(`/api/v1/appointments?per_page=3&starting_after=${last}`)).body);
      expect(afterCursor.data.map((a) => a.id)).toEqual(second.data.map((a) => a.id));
      expect(afterCursor.meta.total).toBe(second.meta.total + 2);
      const shifted = AppointmentList.parse((await api.get('/api/v1/appointments?per_page=3&page=2')).body);
      expect(shifted.data.map((a) => a.id)).not.toEqual(second.data.map((a) => a.id));
      expect((await orderedIds(clinic.clinic.id)).slice(0, 2).sort()).toEqual([...added].sort());
    });

    it('a cursor combines with filters, and its appointment need not match them any more', async () => {
      const all = await orderedIds(clinic.clinic.id);
      const cursor = all[5]!;
      expect((await api.delete(`/api/v1/appointments/${cursor}`)).status).toBe(200);
      const confirmed = await orderedIds(clinic.clinic.id, 'confirmed');
      const res = AppointmentList.parse(
        (await api.get(`/api/v1/appointments?status=confirmed&per_page=100&starting_after=${cursor}`)).body,
      );
      const after = all.slice(6).filter((id) => confirmed.includes(id));
      expect(res.data.map((a) => a.id)).toEqual(after);
      expect(res.meta).toEqual({ page: 1, per_page: 100, total: confirmed.length, has_more: false });
      const ofLead = AppointmentList.parse(
        (await api.get(`/api/v1/appointments?lead_id=${leadId}&per_page=2&starting_after=${cursor}`)).body,
      );
      expect(ofLead.data.map((a) => a.id)).toEqual(all.slice(6, 8));
      expect(ofLead.meta.total).toBe(all.length);
      expect(ofLead.meta.has_more).toBe(true);
      // page=1 is the cursor's own page: allowed.
      const explicitFirst = await api.get(`/api/v1/appointments?page=1&per_page=2&starting_after=${cursor}`);
      expect(explicitFirst.body.data.map((a: Appointment) => a.id)).toEqual(all.slice(6, 8));
    });

    it("refuses a cursor that names another clinic's appointment, no appointment, or is no UUID, and one beside a later page", async () => {
      const theirs = (await insertAppointments(other.clinic.id, (await otherLead()).id, 1))[0]!;
      const mine = (await orderedIds(clinic.clinic.id))[0]!;
      for (const cursor of [theirs, MISSING]) {
        const message = expectInvalid(await api.get(`/api/v1/appointments?starting_after=${cursor}`), 'starting_after');
        expect(message).toMatch(/starting_after does not name an appointment of this clinic/);
      }
      expectInvalid(await api.get('/api/v1/appointments?starting_after=not-a-uuid'), 'starting_after');
      const message = expectInvalid(await api.get(`/api/v1/appointments?page=2&starting_after=${mine}`), 'page');
      expect(message).toMatch(/leave page out/);
      // The last appointment as cursor is a valid, empty page.
      const lastId = (await orderedIds(clinic.clinic.id)).at(-1)!;
      const end = AppointmentList.parse((await api.get(`/api/v1/appointments?starting_after=${lastId}`)).body);
      expect(end.data).toEqual([]);
      expect(end.meta.has_more).toBe(false);
      expect(end.meta.total).toBe((await orderedIds(clinic.clinic.id)).length);
    });

    it('has_more with page numbers: false on the last full page, past the end and on an empty list', async () => {
      const fresh = await srv.clinic('Cursor Clinic Empty');
      const lead = Lead.parse((await fresh.api.post('/api/v1/leads', { email: 'empty@example.com' })).body).id;
      const empty = AppointmentList.parse((await fresh.api.get('/api/v1/appointments')).body);
      expect(empty).toEqual({ data: [], meta: { page: 1, per_page: 25, total: 0, has_more: false } });
      await insertAppointments(fresh.clinic.id, lead, 6, 2);
      const full = AppointmentList.parse((await fresh.api.get('/api/v1/appointments?per_page=3&page=2')).body);
      expect(full.data).toHaveLength(3);
      expect(full.meta).toEqual({ page: 2, per_page: 3, total: 6, has_more: false });
      const past = AppointmentList.parse((await fresh.api.get('/api/v1/appointments?per_page=3&page=3')).body);
      expect(past).toEqual({ data: [], meta: { page: 3, per_page: 3, total: 6, has_more: false } });
    });
  });

  async function otherLead() {
    return Lead.parse((await other.api.post('/api/v1/leads', { email: `other-${Math.random()}@example.com` })).body);
  }

  it('leads take the same cursor: every lead once, in order; another clinic lead refused', async () => {
    const client = await freshClient(srv, clinic.clinic.id);
    for (let i = 0; i < 5; i++) expect((await client.post('/api/v1/leads', { email: `cursor-${i}@example.com` })).status).toBe(201);
    const expected = (
      await db()
        .selectFrom('leads')
        .select('id')
        .where('clinic_id', '=', clinic.clinic.id)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute()
    ).map((r) => r.id);
    expect((await walk(client, '/api/v1/leads', 2)).ids).toEqual(expected);
    const page = LeadList.parse((await client.get('/api/v1/leads?per_page=2')).body);
    expect(page.meta).toEqual({ page: 1, per_page: 2, total: expected.length, has_more: true });
    const message = expectInvalid(await client.get(`/api/v1/leads?starting_after=${(await otherLead()).id}`), 'starting_after');
    expect(message).toMatch(/does not name a lead of this clinic/);
  });

  it('campaign contacts take the same cursor (their order: updated_at, newest first)', async () => {
    const client = await freshClient(srv, clinic.clinic.id);
    const campaign = clinic.campaigns[0]!.id;
    for (let i = 0; i < 5; i++) {
      const body = { name: `Cursor ${i}`, phone: `+1415555${String(1000 + i)}`, interest: 'implants', city: 'Reno' };
      expect((await client.post(`/api/v1/campaigns/${campaign}/contacts`, body)).status).toBe(201);
    }
    const expected = (
      await db()
        .selectFrom('campaign_contacts')
        .select('id')
        .where('clinic_id', '=', clinic.clinic.id)
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .execute()
    ).map((r) => r.id);
    expect((await walk(client, '/api/v1/campaigns/contacts', 2)).ids).toEqual(expected);
    const ofCampaign = ContactList.parse((await client.get(`/api/v1/campaigns/contacts?campaign_id=${campaign}&per_page=2`)).body);
    expect(ofCampaign.meta).toEqual({ page: 1, per_page: 2, total: expected.length, has_more: true });
    expectInvalid(await client.get(`/api/v1/campaigns/contacts?starting_after=${expected[0]}&page=3`), 'page');
    expectInvalid(await client.get(`/api/v1/campaigns/contacts?starting_after=${MISSING}`), 'starting_after');
  });

  describe('totals kept by the database', () => {
    /** meta.total of a list against count(*) of the same rows, for the clinic's lists. */
    async function expectExactTotals(target: TestClinic) {
      const client = await freshClient(srv, target.clinic.id);
      const count = async (table: 'appointments' | 'leads' | 'campaign_contacts', status?: string) => {
        let q = db().selectFrom(table).select(sql<number>`count(*)::int`.as('n')).where('clinic_id', '=', target.clinic.id);
        if (status) q = q.where('status', '=', status);
        return Number((await q.executeTakeFirstOrThrow()).n);
      };
      const total = async (path: string) => {
        const res = await client.get(path);
        expect(res.status).toBe(200);
        return res.body.meta.total as number;
      };
      const seen = {
        appointments: await total('/api/v1/appointments'),
        confirmed: await total('/api/v1/appointments?status=confirmed'),
        cancelled: await total('/api/v1/appointments?status=cancelled'),
        completed: await total('/api/v1/appointments?status=completed'),
        leads: await total('/api/v1/leads'),
        contacts: await total('/api/v1/campaigns/contacts'),
        pending: await total('/api/v1/campaigns/contacts?status=pending'),
        qualified: await total('/api/v1/campaigns/contacts?status=qualified'),
      };
      expect(seen).toEqual({
        appointments: await count('appointments'),
        confirmed: await count('appointments', 'confirmed'),
        cancelled: await count('appointments', 'cancelled'),
        completed: await count('appointments', 'completed'),
        leads: await count('leads'),
        contacts: await count('campaign_contacts'),
        pending: await count('campaign_contacts', 'pending'),
        qualified: await count('campaign_contacts', 'qualified'),
      });
      return seen;
    }

    it('stay exact under concurrent bookings, cancellations, status changes and new leads and contacts', async () => {
      const busy = await srv.clinic('Cursor Clinic Busy');
      await setOpeningHours(srv, busy.clinic.id, ALL_WEEK_ALL_DAY);
      const clients = await Promise.all([0, 1, 2, 3].map(() => freshClient(srv, busy.clinic.id)));
      const lead = Lead.parse((await clients[0]!.post('/api/v1/leads', { email: 'busy@example.com' })).body).id;
      const slots = await slotsOfDay(clients[0]!, futureMonday(3));
      const booked = await Promise.all(
        slots.slice(0, 24).map((slot, i) => clients[i % 4]!.post('/api/v1/appointments', { lead_id: lead, ...slot })),
      );
      expect(booked.map((r) => r.status)).toEqual(booked.map(() => 201));
      const ids = booked.map((r) => (r.body as Appointment).id);
      const campaign = busy.campaigns[0]!.id;
      const contact = (i: number) => ({ name: `Busy ${i}`, phone: `+1415556${String(1000 + i)}`, interest: 'implants', city: 'Reno' });
      const writes = await Promise.all([
        // the same appointments cancelled twice at once, others completed, others rebooked, while leads and contacts arrive
        ...ids
          .slice(0, 6)
          .flatMap((id, i) => [
            clients[i % 4]!.delete(`/api/v1/appointments/${id}`),
            clients[(i + 1) % 4]!.delete(`/api/v1/appointments/${id}`),
          ]),
        ...ids.slice(6, 10).map((id, i) => clients[i % 4]!.patch(`/api/v1/appointments/${id}`, { status: 'completed' })),
        ...slots.slice(24, 34).map((slot, i) => clients[i % 4]!.post('/api/v1/appointments', { lead_id: lead, ...slot })),
        ...[0, 1, 2, 3, 4, 5].map((i) => clients[i % 4]!.post('/api/v1/leads', { email: `busy-${i}@example.com` })),
        ...[0, 1, 2, 3, 4, 5].map((i) => clients[i % 4]!.post(`/api/v1/campaigns/${campaign}/contacts`, contact(i))),
      ]);
      expect(writes.filter((r) => r.status >= 300).map((r) => r.status)).toEqual([]);
      const seen = await expectExactTotals(busy);
      expect(seen).toMatchObject({ appointments: 34, cancelled: 6, completed: 4, confirmed: 24, leads: 7, contacts: 6 });
    });

    it('stay exact after plain SQL: multi-row writes, status changes, moves, deletes and a rolled-back transaction', async () => {
      const target = await srv.clinic('Cursor Clinic SQL');
      const lead = Lead.parse((await target.api.post('/api/v1/leads', { email: 'sql@example.com' })).body).id;
      const ids = await insertAppointments(target.clinic.id, lead, 12, 4);
      await db().updateTable('appointments').set({ status: 'cancelled' }).where('id', 'in', ids.slice(0, 3)).execute();
      await db().updateTable('appointments').set({ status: 'no_show' }).where('id', 'in', ids.slice(3, 5)).execute();
      await db().updateTable('appointments').set({ title: 'only a title' }).where('id', 'in', ids.slice(5, 8)).execute();
      await db().deleteFrom('appointments').where('id', 'in', [ids[0]!, ids[8]!]).execute();
      await db()
        .transaction()
        .execute(async (trx) => {
          // inserted, changed twice and deleted in one transaction: no trace in the counts
          const [row] = await trx
            .insertInto('appointments')
            .values({
              clinic_id: target.clinic.id,
              lead_id: lead,
              scheduled_at: new Date(Date.UTC(2035, 0, 1)),
              ends_at: new Date(Date.UTC(2035, 0, 2)),
            })
            .returning('id')
            .execute();
          await trx.updateTable('appointments').set({ status: 'completed' }).where('id', '=', row!.id).execute();
          await trx.updateTable('appointments').set({ status: 'cancelled' }).where('id', '=', row!.id).execute();
          await trx.deleteFrom('appointments').where('id', '=', row!.id).execute();
        });
      await expect(
        db()
          .transaction()
          .execute(async (trx) => {
            await trx.insertInto('leads').values({ clinic_id: target.clinic.id, email: 'rolled-back@example.com' }).execute();
            await trx.updateTable('appointments').set({ status: 'completed' }).where('id', 'in', ids.slice(9)).execute();
            throw new Error('roll back');
          }),
      ).rejects.toThrow('roll back');
      // a lead moved to another clinic with its appointments
      const moved = (
        await db().insertInto('leads').values({ clinic_id: target.clinic.id, email: 'moved@example.com' }).returning('id').execute()
      )[0]!.id;
      await db().updateTable('leads').set({ clinic_id: other.clinic.id }).where('id', '=', moved).execute();
      const seen = await expectExactTotals(target);
      expect(seen).toMatchObject({ appointments: 10, cancelled: 2, confirmed: 6, leads: 1 });
      await expectExactTotals(other);
    });

    it('a clinic holding records can still be deleted, and its counts go with it', async () => {
      const doomed = await srv.clinic('Cursor Clinic Doomed');
      const lead = Lead.parse((await doomed.api.post('/api/v1/leads', { email: 'doomed@example.com' })).body).id;
      await insertAppointments(doomed.clinic.id, lead, 3);
      await db().deleteFrom('clinics').where('id', '=', doomed.clinic.id).execute();
      const left = await db().selectFrom('record_counts').select('kind').where('clinic_id', '=', doomed.clinic.id).execute();
      expect(left).toEqual([]);
    });
  });
});

/**
 * Campaign contacts: POST /api/v1/campaigns/{id}/contacts (validation, needs_review, active
 * campaigns only), GET /api/v1/campaigns/contacts (filters, freshest first, pagination) and
 * GET /api/v1/campaigns/{id}/contacts/{contact_id} (one contact as it is now).
 */
import { CampaignContact, listOf } from '../../contract';
import { CALLING_CODES } from '../services/campaigns';
import { backends } from './support/databases';
import { tableCounts } from './support/db-counts';
import { expectGuarded, openApiOperation } from './support/guards';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

const ContactList = listOf(CampaignContact, 'CampaignContactList');
const seedBody = {
  name: 'Alex Smith',
  phone: '+14155551212',
  interest: 'implants',
  city: 'San Francisco',
  country: 'US',
  email: 'alex@example.com',
};

describe.each(backends())('campaign contacts on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let campaignId: string;
  const db = () => srv.running.deps.database.db;
  const add = (body: unknown, id = campaignId) => clinic.api.post(`/api/v1/campaigns/${id}/contacts`, body);

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Contact Clinic');
    other = await srv.clinic('Other Clinic');
    campaignId = clinic.campaigns[0]!.id;
  });
  afterAll(() => srv.close());

  describe('POST /api/v1/campaigns/{id}/contacts', () => {
    it('adds a contact with the seed example body: 201, pending, no attempts, valid', async () => {
      const res = await add(seedBody);
      expect(res.status).toBe(201);
      const contact = CampaignContact.parse(res.body);
      expect(contact).toEqual({
        ...seedBody,
        id: expect.any(String),
        campaign_id: campaignId,
        campaign_name: clinic.campaigns[0]!.name,
        first_name: 'Alex',
        last_name: 'Smith',
        language: null,
        notes: null,
        status: 'pending',
        attempts: 0,
        last_attempt_at: null,
        validation_status: 'valid',
        validation_messages: [],
        created_at: expect.any(String),
        updated_at: expect.any(String),
        url: `${srv.url}/dashboard/contacts/${res.body.id}`,
      });
      const listed = ContactList.parse((await clinic.api.get(`/api/v1/campaigns/contacts?campaign_id=${campaignId}`)).body);
      expect(listed.data.find((c) => c.id === contact.id)).toEqual(contact);
    });

    it('takes only the required fields, and trims and upper-cases what it stores', async () => {
      const res = await add({
        name: '  Bo  ',
        phone: '+447911123456',
        interest: 'whitening',
        city: 'Leeds',
        country: 'gb',
        language: 'en',
        notes: 'evenings',
      });
      expect(res.status).toBe(201);
      expect(CampaignContact.parse(res.body)).toMatchObject({
        name: 'Bo',
        country: 'GB',
        email: null,
        language: 'en',
        notes: 'evenings',
        validation_status: 'valid',
      });
      const minimal = await add({ name: 'Cy', phone: '+61412345678', interest: 'braces', city: 'Perth' });
      expect(minimal.status).toBe(201);
      expect(minimal.body).toMatchObject({ country: null, email: null, validation_status: 'valid', validation_messages: [] });
    });

    it.each([
      ['a GB number for a US contact', { phone: '+442071838750', country: 'US' }, /calling code \+1/],
      ['a US number for an Australian contact', { phone: '+14155551212', country: 'AU' }, /calling code \+61/],
      ['a German number for a Canadian contact', { phone: '+4930123456', country: 'CA' }, /calling code \+1/],
    ])('flags %s as needs_review and still stores it', async (_name, fields, message) => {
      const res = await add({ ...seedBody, ...fields });
      expect(res.status).toBe(201);
      const contact = CampaignContact.parse(res.body);
      expect(contact.validation_status).toBe('needs_review');
      expect(contact.validation_messages).toEqual([expect.stringMatching(message)]);
      expect(contact.status).toBe('pending');
    });

    it('does not guess for countries it has no calling code for', async () => {
      expect(CALLING_CODES.JP).toBeUndefined();
      const res = await add({ ...seedBody, phone: '+14155551212', country: 'JP' });
      expect(res.body).toMatchObject({ validation_status: 'valid', validation_messages: [] });
    });

    it("flags a contact whose country differs from the campaign's target country, and checks the phone against the target when no country is given", async () => {
      const row = await db()
        .insertInto('campaigns')
        .values({ clinic_id: clinic.clinic.id, name: 'UK only', target_country: 'GB' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const differs = await add({ ...seedBody, country: 'US' }, row.id);
      expect(differs.status).toBe(201);
      expect(differs.body.validation_status).toBe('needs_review');
      expect(differs.body.validation_messages).toEqual([expect.stringMatching(/country US differs from the campaign's target country GB/)]);
      const both = await add({ ...seedBody, country: 'US', phone: '+447911123456' }, row.id);
      expect(both.body.validation_messages).toHaveLength(2);
      const noCountry = await add({ ...seedBody, country: undefined, phone: '+14155551212' }, row.id);
      expect(noCountry.body).toMatchObject({
        validation_status: 'needs_review',
        validation_messages: [expect.stringMatching(/GB's calling code \+44/)],
      });
      const matches = await add({ ...seedBody, country: 'GB', phone: '+447911123456' }, row.id);
      expect(matches.body).toMatchObject({ validation_status: 'valid', validation_messages: [] });
    });

    it.each([
      ['a missing name', { name: undefined }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a missing phone', { phone: undefined }, 'phone'],
      ['a phone that is not E.164', { phone: '4155551212' }, 'phone'],
      ['a phone with letters', { phone: '+1415CALLNOW' }, 'phone'],
      ['a missing interest', { interest: undefined }, 'interest'],
      ['a missing city', { city: undefined }, 'city'],
      ['a three-letter country', { country: 'USA' }, 'country'],
      ['a bad email', { email: 'alex@' }, 'email'],
      ['a number as name', { name: 42 }, 'name'],
      ['an unknown field', { favourite: 'blue' }, ''],
      ['an over-long name', { name: 'x'.repeat(201) }, 'name'],
    ])('refuses %s with 400 invalid_input and writes nothing', async (_name, fields, path) => {
      const before = await tableCounts(srv.running.deps.database);
      const res = await add({ ...seedBody, ...fields });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_input');
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
      expect(await tableCounts(srv.running.deps.database)).toEqual(before);
    });

    it.each([
      ['an array', '[]'],
      ['null', 'null'],
      ['malformed JSON', '{"name":'],
      ['a NUL character in a field', JSON.stringify({ ...seedBody, notes: 'a\u0000b' })],
    ])('refuses %s as the body with 400', async (_name, raw) => {
      const res = await clinic.api.request('POST', `/api/v1/campaigns/${campaignId}/contacts`, raw);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_input');
    });

    it('refuses a campaign id that is not a UUID with 400', async () => {
      const res = await add(seedBody, 'summer-campaign');
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain('id');
    });

    it("answers 404 for an unknown or another clinic's campaign, and writes nothing", async () => {
      const before = await tableCounts(srv.running.deps.database);
      const theirs = await add(seedBody, other.campaigns[0]!.id);
      expect(theirs.status).toBe(404);
      expect(theirs.body.code).toBe('not_found');
      expect((await add(seedBody, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect(await tableCounts(srv.running.deps.database)).toEqual(before);
    });

    it.each(['paused', 'completed'])('refuses a %s campaign with 400 and says why', async (status) => {
      const row = await db()
        .insertInto('campaigns')
        .values({ clinic_id: clinic.clinic.id, name: `A ${status} one`, status })
        .returning('id')
        .executeTakeFirstOrThrow();
      const res = await add(seedBody, row.id);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_input', error: expect.stringMatching(new RegExp(`${status}.*active`)) });
      const count = await db()
        .selectFrom('campaign_contacts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('campaign_id', '=', row.id)
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(0);
    });

    it('answers 401 without a valid key and 403 without campaigns:write (a campaigns:read key is not enough)', async () => {
      await expectGuarded(srv, clinic.clinic.id, {
        method: 'POST',
        path: `/api/v1/campaigns/${campaignId}/contacts`,
        body: seedBody,
        scope: 'campaigns:write',
      });
    });
  });

  describe('GET /api/v1/campaigns/contacts', () => {
    let fresh: TestClinic;
    let a: CampaignContact;
    let b: CampaignContact;
    let c: CampaignContact;

    beforeAll(async () => {
      fresh = await srv.clinic('List Clinic');
      const [first, second] = fresh.campaigns;
      a = (await fresh.api.post(`/api/v1/campaigns/${first!.id}/contacts`, { ...seedBody, name: 'A' })).body;
      b = (await fresh.api.post(`/api/v1/campaigns/${first!.id}/contacts`, { ...seedBody, name: 'B' })).body;
      c = (await fresh.api.post(`/api/v1/campaigns/${second!.id}/contacts`, { ...seedBody, name: 'C' })).body;
    });

    it('is its own route, not /campaigns/{id} with id "contacts"', async () => {
      const res = await fresh.api.get('/api/v1/campaigns/contacts');
      expect(res.status).toBe(200);
      expect(ContactList.parse(res.body).meta.total).toBe(3);
    });

    it('lists the most recently changed first, so a fresh outcome leads', async () => {
      const before = ContactList.parse((await fresh.api.get('/api/v1/campaigns/contacts')).body);
      expect(before.data.map((x) => x.id)).toEqual([c.id, b.id, a.id]);
      await fresh.api.post(`/dev/campaign-contacts/${a.id}/outcome`, { status: 'callback_requested' });
      const after = ContactList.parse((await fresh.api.get('/api/v1/campaigns/contacts')).body);
      expect(after.data.map((x) => x.id)).toEqual([a.id, c.id, b.id]);
      expect(after.data[0]).toMatchObject({ status: 'callback_requested', attempts: 1 });
    });

    it('filters by status and campaign_id, alone and together', async () => {
      const [first, second] = fresh.campaigns;
      const pending = ContactList.parse((await fresh.api.get('/api/v1/campaigns/contacts?status=pending')).body);
      expect(pending.data.map((x) => x.id)).toEqual([c.id, b.id]);
      const byCampaign = ContactList.parse((await fresh.api.get(`/api/v1/campaigns/contacts?campaign_id=${first!.id}`)).body);
      expect(byCampaign.data.map((x) => x.id)).toEqual([a.id, b.id]);
      const both = ContactList.parse((await fresh.api.get(`/api/v1/campaigns/contacts?campaign_id=${first!.id}&status=pending`)).body);
      expect(both.data.map((x) => x.id)).toEqual([b.id]);
      expect(both.meta.total).toBe(1);
      const none = ContactList.parse((await fresh.api.get(`/api/v1/campaigns/contacts?campaign_id=${second!.id}&status=qualified`)).body);
      expect(none).toEqual({ data: [], meta: { page: 1, per_page: 25, total: 0 } });
    });

    it('paginates with page and per_page', async () => {
      const page1 = ContactList.parse((await fresh.api.get('/api/v1/campaigns/contacts?per_page=2')).body);
      const page2 = ContactList.parse((await fresh.api.get('/api/v1/campaigns/contacts?per_page=2&page=2')).body);
      expect(page1.meta).toEqual({ page: 1, per_page: 2, total: 3 });
      expect(page2.meta).toEqual({ page: 2, per_page: 2, total: 3 });
      expect([...page1.data, ...page2.data].map((x) => x.id)).toEqual([a.id, c.id, b.id]);
    });

    it("never lists another clinic's contacts, even filtered by its campaign", async () => {
      const res = ContactList.parse((await fresh.api.get(`/api/v1/campaigns/contacts?campaign_id=${clinic.campaigns[0]!.id}`)).body);
      expect(res.meta.total).toBe(0);
      expect(JSON.stringify((await clinic.api.get('/api/v1/campaigns/contacts?per_page=100')).body)).not.toContain(a.id);
    });

    it.each([
      ['an unknown status', 'status=won', 'status'],
      ['a status that is not a filterable value', 'status=', 'status'],
      ['a campaign_id that is not a UUID', 'campaign_id=abc', 'campaign_id'],
      ['per_page over 100', 'per_page=101', 'per_page'],
      ['page 0', 'page=0', 'page'],
    ])('refuses %s with 400 invalid_input', async (_name, query, path) => {
      const res = await fresh.api.get(`/api/v1/campaigns/contacts?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_input');
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it('answers 401 without a valid key and 403 without campaigns:read', async () => {
      await expectGuarded(srv, fresh.clinic.id, { method: 'GET', path: '/api/v1/campaigns/contacts', scope: 'campaigns:read' });
    });
  });

  describe('GET /api/v1/campaigns/{id}/contacts/{contact_id}', () => {
    it('returns the contact as it is now, exactly as the list shows it', async () => {
      const added = CampaignContact.parse((await add({ ...seedBody, name: 'Current State' })).body);
      const got = await clinic.api.get(`/api/v1/campaigns/${campaignId}/contacts/${added.id}`);
      expect(got.status).toBe(200);
      expect(CampaignContact.parse(got.body)).toEqual(added);
      await clinic.api.post(`/dev/campaign-contacts/${added.id}/outcome`, { status: 'qualified' });
      const now = CampaignContact.parse((await clinic.api.get(`/api/v1/campaigns/${campaignId}/contacts/${added.id}`)).body);
      expect(now).toMatchObject({ id: added.id, status: 'qualified', attempts: 1 });
      const listed = ContactList.parse(
        (await clinic.api.get(`/api/v1/campaigns/contacts?campaign_id=${campaignId}&status=qualified`)).body,
      );
      expect(listed.data.find((x) => x.id === added.id)).toEqual(now);
    });

    it("answers 404 for an unknown id, another campaign's or another clinic's contact, and 400 for an id that is not a UUID", async () => {
      const otherCampaign = other.campaigns[0]!.id;
      const theirs = CampaignContact.parse((await other.api.post(`/api/v1/campaigns/${otherCampaign}/contacts`, seedBody)).body);
      const ours = CampaignContact.parse((await add({ ...seedBody, name: 'First Campaign' })).body);
      for (const path of [
        `${campaignId}/contacts/${theirs.id}`,
        `${otherCampaign}/contacts/${theirs.id}`,
        `${clinic.campaigns[1]!.id}/contacts/${ours.id}`,
        `${campaignId}/contacts/00000000-0000-4000-8000-000000000000`,
      ]) {
        const res = await clinic.api.get(`/api/v1/campaigns/${path}`);
        expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 404, code: 'not_found' });
      }
      expect((await clinic.api.get(`/api/v1/campaigns/${campaignId}/contacts/abc`)).status).toBe(400);
    });

    it('answers 401 without a valid key and 403 without campaigns:read', async () => {
      const added = CampaignContact.parse((await add({ ...seedBody, name: 'Guarded' })).body);
      await expectGuarded(srv, clinic.clinic.id, {
        method: 'GET',
        path: `/api/v1/campaigns/${campaignId}/contacts/${added.id}`,
        scope: 'campaigns:read',
      });
    });
  });

  it('the endpoints are in the OpenAPI document, documenting the checks and the order', async () => {
    const addOp = await openApiOperation(srv, 'post', '/api/v1/campaigns/{id}/contacts');
    expect(addOp.operationId).toBe('addCampaignContact');
    expect(addOp.description).toContain('campaigns:write');
    expect(addOp.description).toContain('needs_review');
    for (const [country, code] of Object.entries(CALLING_CODES)) expect(addOp.description).toContain(`${country} ${code}`);
    expect(Object.keys(addOp.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404']));
    const listOp = await openApiOperation(srv, 'get', '/api/v1/campaigns/contacts');
    expect(listOp.operationId).toBe('listCampaignContacts');
    expect(listOp.description).toContain('campaigns:read');
    expect(listOp.description).toContain('updated_at');
    expect(listOp.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['status', 'campaign_id', 'page', 'per_page']),
    );
    const getOp = await openApiOperation(srv, 'get', '/api/v1/campaigns/{id}/contacts/{contact_id}');
    expect(getOp.operationId).toBe('getCampaignContact');
    expect(getOp.description).toContain('campaigns:read');
    expect(Object.keys(getOp.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));
  });
});

/**
 * The Idempotency-Key header on both backends: a replay answers the first response and runs
 * nothing again; another request under the same key is 422; a key is per API key and lives 24
 * hours; refusals by the endpoint are kept, 5xx never; concurrent duplicates are 409 (and on
 * PostgreSQL, a burst of them makes exactly one write).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { ErrorBody, EVENT_TYPES } from '../../contract';
import { pruneIdempotencyKeys } from '../http/idempotency';
import { hashApiKey } from '../services/api-keys';
import { freshClient, futureMonday, slotsOfDay, subscribe } from './support/booking';
import { backends } from './support/databases';
import { tableCounts } from './support/db-counts';
import type { ApiClient, ApiResponse, TestClinic, TestServer } from './support/server';
import { startTestServer } from './support/server';

const contact = { name: 'Robin Key', phone: '+14155550177', interest: 'implants', city: 'Boston' };

describe.each(backends())('Idempotency-Key on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let api: ApiClient;
  let week = 80;
  const db = () => srv.running.deps.database.db;
  const addContact = (key: string | undefined, body: object = contact, client = api) =>
    client.request(
      'POST',
      `/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`,
      body,
      key === undefined ? {} : { 'Idempotency-Key': key },
    );
  const contactsNamed = async (name: string) =>
    (await db().selectFrom('campaign_contacts').select('id').where('name', '=', name).execute()).length;
  const expectReplay = (first: ApiResponse, again: ApiResponse) => {
    expect({ status: again.status, body: again.body }).toEqual({ status: first.status, body: first.body });
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(again.headers.get('ratelimit')).toMatch(/^"default";r=\d+;t=\d+$/);
  };

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Idempotency Clinic');
    await subscribe(clinic.api, [...EVENT_TYPES]); // every event these tests read is recorded
  });
  beforeEach(async () => {
    api = await freshClient(srv, clinic.clinic.id);
  });
  afterAll(() => srv.close());

  it('replays the first response to the same key and body, and writes once', async () => {
    const name = `Replay ${backend}`;
    const key = randomUUID();
    const first = await addContact(key, { ...contact, name });
    expect(first.status).toBe(201);
    const again = await addContact(key, { ...contact, name });
    expectReplay(first, again);
    expect(await contactsNamed(name)).toBe(1);
    // Without a key, the same body is a new contact each time.
    await addContact(undefined, { ...contact, name });
    expect(await contactsNamed(name)).toBe(2);
  });

  it('replays a booking and a PATCH without running them again (one appointment, one event each)', async () => {
    const lead = (await api.post('/api/v1/leads', { email: `key-booking-${backend}@example.com` })).body;
    const [slot] = await slotsOfDay(api, futureMonday(week++));
    const key = randomUUID();
    const book = () => api.request('POST', '/api/v1/appointments', { lead_id: lead.id, ...slot! }, { 'Idempotency-Key': key });
    const first = await book();
    expect(first.status).toBe(201);
    expectReplay(first, await book());
    const patchKey = randomUUID();
    const patch = () => api.request('PATCH', `/api/v1/leads/${lead.id}`, { notes: 'keyed' }, { 'Idempotency-Key': patchKey });
    const patched = await patch();
    expectReplay(patched, await patch());
    expect(await db().selectFrom('appointments').select('id').where('lead_id', '=', lead.id).execute()).toHaveLength(1);
    // lead.created, the booking's appointment.created and lead.updated (booked), the PATCH's lead.updated: once each.
    const leadEvents = await db().selectFrom('webhook_events').select('type').where('payload', 'like', `%${lead.id}%`).execute();
    expect(leadEvents.map((e) => e.type).sort()).toEqual(['appointment.created', 'lead.created', 'lead.updated', 'lead.updated']);
  });

  it('answers 422 idempotency_key_reused for the same key with another body or endpoint, and writes nothing', async () => {
    const key = randomUUID();
    expect((await addContact(key, { ...contact, name: 'Reuse A' })).status).toBe(201);
    const kept = () => db().selectFrom('idempotency_keys').selectAll().orderBy('key').execute();
    const before = { tables: await tableCounts(srv.running.deps.database), kept: await kept() };
    for (const res of [
      await addContact(key, { ...contact, name: 'Reuse B' }),
      await api.request('POST', '/api/v1/leads', { email: 'reuse@example.com' }, { 'Idempotency-Key': key }),
    ]) {
      expect({ status: res.status, code: ErrorBody.parse(res.body).code }).toEqual({ status: 422, code: 'idempotency_key_reused' });
      expect(res.body.error).toMatch(/send a new key/);
    }
    expect({ tables: await tableCounts(srv.running.deps.database), kept: await kept() }).toEqual(before);
  });

  it('scopes a key to its API key, and reads a quoted key as the bare one', async () => {
    const name = `Scoped ${backend}`;
    const key = `k-${randomUUID()}`;
    const first = await addContact(key, { ...contact, name });
    expectReplay(first, await addContact(`"${key}"`, { ...contact, name }));
    const otherKey = await freshClient(srv, clinic.clinic.id);
    expect((await addContact(key, { ...contact, name }, otherKey)).headers.get('idempotent-replayed')).toBeNull();
    expect(await contactsNamed(name)).toBe(2);
  });

  it.each([
    ['too long', 'x'.repeat(256)],
    ['empty', '""'],
    ['a space in a bare key', 'two words'],
    ['a control character in a quoted key', '"a\tb"'],
    ['over 255 characters as sent, though fewer once unquoted', `"${'\\"'.repeat(200)}"`],
  ])('refuses a malformed key (%s) with 400 and writes nothing', async (_why, key) => {
    const before = await tableCounts(srv.running.deps.database);
    const res = await addContact(key);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'invalid_input' });
    expect(res.body.error).toMatch(/Idempotency-Key must be 1 to 255 printable ASCII characters/);
    expect(await tableCounts(srv.running.deps.database)).toEqual(before);
  });

  it('accepts a key of 255 characters as sent, quotes included', async () => {
    const name = `Longest key ${backend}`;
    const quoted = `"${'k'.repeat(253)}"`;
    expect(quoted).toHaveLength(255);
    const first = await addContact(quoted, { ...contact, name });
    expect(first.status).toBe(201);
    expectReplay(first, await addContact(quoted, { ...contact, name }));
  });

  it('keeps a 400 that follows from the input alone (refused by the request schema, or not JSON) and replays it', async () => {
    const invalid = randomUUID();
    const first = await addContact(invalid, { ...contact, phone: 'not a phone' });
    expect(first.status).toBe(400);
    expectReplay(first, await addContact(invalid, { ...contact, phone: 'not a phone' }));
    const malformed = randomUUID();
    const notJson = await addContact(malformed, '{"name": "Unclosed"' as never);
    expect({ status: notJson.status, code: notJson.body.code }).toEqual({ status: 400, code: 'invalid_input' });
    expectReplay(notJson, await addContact(malformed, '{"name": "Unclosed"' as never));
  });

  /** Whether a response is kept under this key (of any API key). */
  const keptUnder = async (key: string) =>
    (await db().selectFrom('idempotency_keys').select('key').where('key', '=', key).execute()).length;

  it('keeps no 404: the same key runs the request again', async () => {
    const key = randomUUID();
    const missing = randomUUID();
    const patch = () => api.request('PATCH', `/api/v1/appointments/${missing}`, { title: 'Later' }, { 'Idempotency-Key': key });
    const first = await patch();
    expect(first.status).toBe(404);
    const again = await patch();
    expect({ status: again.status, replayed: again.headers.get('idempotent-replayed') }).toEqual({ status: 404, replayed: null });
    expect(await keptUnder(key)).toBe(0);
  });

  it('keeps no 409 slot_unavailable: once the slot is freed, the same key books it', async () => {
    const [slot] = await slotsOfDay(api, futureMonday(week++));
    const holder = (await api.post('/api/v1/leads', { email: `holder-${backend}@example.com` })).body;
    const wanting = (await api.post('/api/v1/leads', { email: `wanting-${backend}@example.com` })).body;
    const held = await api.post('/api/v1/appointments', { lead_id: holder.id, ...slot! });
    expect(held.status).toBe(201);
    const key = randomUUID();
    const book = () => api.request('POST', '/api/v1/appointments', { lead_id: wanting.id, ...slot! }, { 'Idempotency-Key': key });
    const refused = await book();
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 409, code: 'slot_unavailable' });
    expect(await keptUnder(key)).toBe(0);
    expect((await api.delete(`/api/v1/appointments/${held.body.id}`)).status).toBe(200);
    const booked = await book();
    expect({ status: booked.status, replayed: booked.headers.get('idempotent-replayed'), lead: booked.body.lead_id }).toEqual({
      status: 201,
      replayed: null,
      lead: wanting.id,
    });
    expectReplay(booked, await book());
  });

  it('keeps no 400 that depends on stored state: a contact refused by a paused campaign is added once it is active', async () => {
    const campaign = clinic.campaigns[1]!.id;
    const name = `Paused ${backend}`;
    const key = randomUUID();
    const add = () => api.request('POST', `/api/v1/campaigns/${campaign}/contacts`, { ...contact, name }, { 'Idempotency-Key': key });
    await db().updateTable('campaigns').set({ status: 'paused' }).where('id', '=', campaign).execute();
    try {
      const refused = await add();
      expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 400, code: 'invalid_input' });
      expect(refused.body.error).toMatch(/paused/);
      expect(await keptUnder(key)).toBe(0);
    } finally {
      await db().updateTable('campaigns').set({ status: 'active' }).where('id', '=', campaign).execute();
    }
    const added = await add();
    expect({ status: added.status, replayed: added.headers.get('idempotent-replayed') }).toEqual({ status: 201, replayed: null });
    expect(await contactsNamed(name)).toBe(1);
  });

  it('fingerprints the JSON body, not its bytes: reordered keys and other whitespace replay, another value is 422', async () => {
    const name = `Canonical ${backend}`;
    const key = randomUUID();
    const path = `/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`;
    const send = (body: string) => api.request('POST', path, body, { 'Idempotency-Key': key });
    const first = await send(JSON.stringify({ ...contact, name }));
    expect(first.status).toBe(201);
    const reordered = { city: contact.city, interest: contact.interest, name, phone: contact.phone };
    expectReplay(first, await send(JSON.stringify(reordered, null, 2)));
    expectReplay(first, await send(` ${JSON.stringify(reordered)}\n`));
    const other = await send(JSON.stringify({ ...reordered, city: 'Salem' }));
    expect({ status: other.status, code: other.body.code }).toEqual({ status: 422, code: 'idempotency_key_reused' });
    expect(await contactsNamed(name)).toBe(1);
  });

  it('keeps no 5xx: after a failure the same key runs the request again', async () => {
    const name = `After failure ${backend}`;
    const key = randomUUID();
    await sql`alter table campaign_contacts rename to campaign_contacts_away`.execute(db());
    let failed: ApiResponse;
    try {
      failed = await addContact(key, { ...contact, name });
    } finally {
      await sql`alter table campaign_contacts_away rename to campaign_contacts`.execute(db());
    }
    expect(failed.status).toBe(500);
    const retried = await addContact(key, { ...contact, name });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(await contactsNamed(name)).toBe(1);
  });

  it('forgets a key after 24 hours: pruneIdempotencyKeys deletes it, and before that it counts as new', async () => {
    const name = `Expired ${backend}`;
    const key = randomUUID();
    expect((await addContact(key, { ...contact, name })).status).toBe(201);
    const age = sql<Date>`now() - interval '24 hours 1 second'`;
    await db().updateTable('idempotency_keys').set({ created_at: age }).where('key', '=', key).execute();
    expect((await addContact(key, { ...contact, name })).headers.get('idempotent-replayed')).toBeNull(); // ran again
    expect(await contactsNamed(name)).toBe(2);
    await db().updateTable('idempotency_keys').set({ created_at: age }).where('key', '=', key).execute();
    const young = randomUUID();
    await addContact(young, { ...contact, name: 'Young' });
    expect(await pruneIdempotencyKeys(db())).toBeGreaterThanOrEqual(1);
    const left = await db().selectFrom('idempotency_keys').select('key').where('key', 'in', [key, young]).execute();
    expect(left.map((r) => r.key)).toEqual([young]);
  });

  it('makes exactly one write of a burst of concurrent requests with one key', async () => {
    const name = `Burst ${backend}`;
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 12 }, () => addContact(key, { ...contact, name })));
    expect(await contactsNamed(name)).toBe(1);
    const created = answers.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const res of answers.filter((r) => r.status !== 201)) {
      expect({ status: res.status, code: res.body.code, retryAfter: res.headers.get('retry-after') }).toEqual({
        status: 409,
        code: 'idempotency_key_in_use',
        retryAfter: '1',
      });
    }
  });
});

for (const backend of backends().filter((b) => b === 'postgres')) {
  describe(`Idempotency-Key across connections on ${backend}`, () => {
    let srv: TestServer;
    let clinic: TestClinic;

    beforeAll(async () => {
      srv = await startTestServer(backend, { runWorker: false });
      clinic = await srv.clinic('Idempotency Lock Clinic');
    });
    afterAll(() => srv.close());

    it('answers 409 idempotency_key_in_use with Retry-After while the first request with the key runs elsewhere', async () => {
      const { db, pool } = srv.running.deps.database;
      const api = await freshClient(srv, clinic.clinic.id);
      const keyId = (await db.selectFrom('api_keys').select('id').where('key_hash', '=', hashApiKey(api.key)).executeTakeFirstOrThrow()).id;
      const key = randomUUID();
      const add = () => api.request('POST', `/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`, contact, { 'Idempotency-Key': key });
      // Another instance's request with this key holds its lock (a connection of its own).
      const elsewhere = await pool!.connect();
      try {
        await elsewhere.query(`select pg_advisory_lock(hashtextextended($1 || ' ' || $2, 18))`, [keyId, key]);
        const busy = await add();
        expect({ status: busy.status, code: busy.body.code, retryAfter: busy.headers.get('retry-after') }).toEqual({
          status: 409,
          code: 'idempotency_key_in_use',
          retryAfter: '1',
        });
      } finally {
        elsewhere.release(true);
      }
      const done = await add();
      expect(done.status).toBe(201);
      expect((await add()).headers.get('idempotent-replayed')).toBe('true');
    });
  });
}

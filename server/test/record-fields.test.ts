/**
 * Issue 18's additive outputs, on both backends: first/last names, the names beside the ids picked
 * in dropdowns (agent, campaign) and the dashboard `url`, identical in every answer (GET, list,
 * POST, PATCH, DELETE) and every webhook event, with QB_PUBLIC_URL as the base of `url`.
 */
import fc from 'fast-check';
import { Appointment, Campaign, CampaignContact, EVENT_TYPES, EventEnvelope, Lead } from '../../contract';
import pino from 'pino';
import { loadConfig, publicUrlWarning } from '../config';
import { startServer } from '../server';
import { splitName } from '../services/serialize';
import { freshClient, futureMonday, slotsOfDay, subscribe } from './support/booking';
import { backends } from './support/databases';
import { startTestServer, type ApiClient, type TestClinic, type TestServer } from './support/server';

const PUBLIC_URL = 'https://qb.example.com';

describe('splitName', () => {
  it.each([
    [null, null, null],
    ['Alex', 'Alex', null],
    ['Alex Smith', 'Alex', 'Smith'],
    ['  Mary  Ann\tvan der Berg ', 'Mary', 'Ann\tvan der Berg'],
    ['José\u00a0María López', 'José\u00a0María', 'López'],
    ['\n', null, null],
  ])('splits %j into %j and %j', (full, first, last) => {
    expect(splitName(full)).toEqual({ first, last });
  });
});

describe.each(backends())('record fields on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let api: ApiClient;
  let week = 40;
  const outbound = () => clinic.agents.find((a) => a.direction === 'outbound')!;

  /** Every event recorded about the object `id`, validated against the contract. */
  async function eventsAbout(id: string): Promise<EventEnvelope[]> {
    const rows = await srv.running.deps.database.db
      .selectFrom('webhook_events')
      .select('payload')
      .where('payload', 'like', `%${id}%`)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => EventEnvelope.parse(JSON.parse(r.payload)));
  }

  beforeAll(async () => {
    srv = await startTestServer(backend, { publicUrl: PUBLIC_URL, runWorker: false });
    clinic = await srv.clinic('Record Fields Clinic');
    await subscribe(clinic.api, [...EVENT_TYPES]); // every event these tests read is recorded
  });
  beforeEach(async () => {
    api = await freshClient(srv, clinic.clinic.id);
  });
  afterAll(() => srv.close());

  it('gives a lead its first and last name, its agent name and its dashboard url in every answer and event', async () => {
    const created = await api.post('/api/v1/leads', {
      full_name: 'Alex  Smith Jones',
      email: 'names@example.com',
      agent_id: outbound().id,
      external_source: 'crm',
      external_id: `names-${backend}`,
    });
    expect(created.status).toBe(201);
    const lead = Lead.parse(created.body);
    const expected = {
      first_name: 'Alex',
      last_name: 'Smith Jones',
      agent_name: outbound().name,
      url: `${PUBLIC_URL}/dashboard/leads/${lead.id}`,
    };
    expect(lead).toMatchObject(expected);
    expect((await api.get(`/api/v1/leads/${lead.id}`)).body).toEqual(created.body);
    expect((await api.get(`/api/v1/leads?email=names@example.com`)).body.data).toEqual([created.body]);
    const renamed = await api.patch(`/api/v1/leads/${lead.id}`, { full_name: 'Sam', agent_id: null });
    expect(renamed.body).toMatchObject({ first_name: 'Sam', last_name: null, agent_name: null, url: expected.url });
    const upserted = await api.post('/api/v1/leads', {
      full_name: 'Sam Lee',
      email: 'names@example.com',
      agent_id: outbound().id,
      external_source: 'crm',
      external_id: `names-${backend}`,
    });
    expect(upserted.status).toBe(200);
    expect(upserted.body).toMatchObject({ ...expected, first_name: 'Sam', last_name: 'Lee' });
    const events = await eventsAbout(lead.id);
    expect(events.map((e) => [e.type, e.data.lead])).toEqual([
      ['lead.created', created.body],
      ['lead.updated', renamed.body],
      ['lead.updated', upserted.body],
    ]);
  });

  it("gives an appointment its lead's first and last name, its agent's name and its url, in POST, GET, list, PATCH, DELETE and events", async () => {
    const lead = Lead.parse((await api.post('/api/v1/leads', { full_name: 'Dana Q. Patient', phone: '+14155550142' })).body);
    const [slot] = await slotsOfDay(api, futureMonday(week++));
    const booked = await api.post('/api/v1/appointments', { lead_id: lead.id, ...slot!, assigned_to: outbound().id });
    expect(booked.status).toBe(201);
    const appointment = Appointment.parse(booked.body);
    const names = { lead_first_name: 'Dana', lead_last_name: 'Q. Patient', assigned_to_name: outbound().name };
    expect(appointment).toMatchObject({ ...names, url: `${PUBLIC_URL}/dashboard/appointments/${appointment.id}` });
    expect((await api.get(`/api/v1/appointments/${appointment.id}`)).body).toEqual(booked.body);
    expect((await api.get(`/api/v1/appointments?lead_id=${lead.id}`)).body.data).toEqual([booked.body]);
    const unassigned = await api.patch(`/api/v1/appointments/${appointment.id}`, { assigned_to: null });
    expect(unassigned.body).toMatchObject({ ...names, assigned_to: null, assigned_to_name: null });
    const cancelled = await api.delete(`/api/v1/appointments/${appointment.id}`);
    expect(cancelled.body).toMatchObject({ ...names, assigned_to_name: null, url: appointment.url });
    const events = await eventsAbout(appointment.id);
    expect(events.map((e) => [e.type, e.data.appointment])).toEqual([
      ['appointment.created', booked.body],
      ['appointment.updated', unassigned.body],
      ['appointment.cancelled', cancelled.body],
    ]);
    // The booking's lead.updated carries the lead with its new fields too.
    const bookedLead = (await api.get(`/api/v1/leads/${lead.id}`)).body;
    expect((await eventsAbout(lead.id)).find((e) => e.type === 'lead.updated')?.data.lead).toEqual(bookedLead);
  });

  it('gives a campaign contact its first and last name, its campaign name and its url, in POST, list and outcome events', async () => {
    const campaign = clinic.campaigns[0]!;
    const added = await api.post(`/api/v1/campaigns/${campaign.id}/contacts`, {
      name: 'Robin Hood',
      phone: '+14155550143',
      interest: 'whitening',
      city: 'Nottingham',
    });
    expect(added.status).toBe(201);
    const contact = CampaignContact.parse(added.body);
    expect(contact).toMatchObject({
      first_name: 'Robin',
      last_name: 'Hood',
      campaign_name: campaign.name,
      url: `${PUBLIC_URL}/dashboard/contacts/${contact.id}`,
    });
    const listed = (await api.get(`/api/v1/campaigns/contacts?campaign_id=${campaign.id}&per_page=100`)).body.data;
    expect(listed.find((c: CampaignContact) => c.id === contact.id)).toEqual(added.body);
    const outcome = await api.post(`/dev/campaign-contacts/${contact.id}/outcome`, { status: 'qualified' });
    expect(outcome.body).toMatchObject({ first_name: 'Robin', campaign_name: campaign.name, url: contact.url });
    expect((await eventsAbout(contact.id)).map((e) => e.data.contact)).toEqual([outcome.body]);
  });

  it('gives a campaign the name of its agent', async () => {
    const campaigns = (await api.get('/api/v1/campaigns')).body.data.map((c: unknown) => Campaign.parse(c));
    expect(campaigns.map((c: Campaign) => c.agent_name)).toEqual(campaigns.map(() => outbound().name));
    expect(clinic.campaigns.map((c) => c.agent_name)).toEqual(clinic.campaigns.map(() => outbound().name));
  });

  it("splits a name in the booking statement's SQL exactly as serialize.ts does", async () => {
    const word = fc.string({
      unit: fc.constantFrom('a', 'É', '日', '😀', '"', '\\', '.', "'", '\u00a0', '\u0007'),
      minLength: 1,
      maxLength: 4,
    });
    const space = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\f', '\v'), minLength: 1, maxLength: 3 });
    const name = fc
      .tuple(fc.option(space), fc.array(fc.tuple(word, space), { maxLength: 3 }), word, fc.option(space))
      .map(([lead, pairs, last, trail]) => `${lead ?? ''}${pairs.map(([w, s]) => w + s).join('')}${last}${trail ?? ''}`);
    const day = futureMonday(week++);
    const slots = await slotsOfDay(api, day);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(name, async (fullName) => {
        // Straight into the table: the API would trim the name, and the split must hold for any stored text.
        const lead = await srv.running.deps.database.db
          .insertInto('leads')
          .values({ clinic_id: clinic.clinic.id, full_name: fullName, email: `split${n}@example.com` })
          .returning('id')
          .executeTakeFirstOrThrow();
        const booked = await api.post('/api/v1/appointments', { lead_id: lead.id, ...slots[n++ % slots.length]! });
        expect(booked.status).toBe(201);
        try {
          const { first, last } = splitName(fullName);
          expect([booked.body.lead_first_name, booked.body.lead_last_name]).toEqual([first, last]);
          const bookedLead = (await eventsAbout(lead.id)).find((e) => e.type === 'lead.updated')!.data.lead!;
          expect([bookedLead.first_name, bookedLead.last_name]).toEqual([first, last]);
        } finally {
          await api.delete(`/api/v1/appointments/${booked.body.id}`); // the slot is free for the next run
        }
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a cached appointment list right when an agent is renamed, even with plain SQL', async () => {
    const lead = Lead.parse((await api.post('/api/v1/leads', { email: 'rename@example.com' })).body);
    const [slot] = await slotsOfDay(api, futureMonday(week++));
    const booked = await api.post('/api/v1/appointments', { lead_id: lead.id, ...slot!, assigned_to: outbound().id });
    const list = async () => (await api.get(`/api/v1/appointments?lead_id=${lead.id}`)).body.data[0].assigned_to_name;
    expect(await list()).toBe(outbound().name);
    expect(await list()).toBe(outbound().name); // kept now
    expect(await list()).toBe(outbound().name); // answered from memory
    await srv.running.deps.database.db.updateTable('agents').set({ name: 'Renamed caller' }).where('id', '=', outbound().id).execute();
    expect(await list()).toBe('Renamed caller');
    await srv.running.deps.database.db.updateTable('agents').set({ name: outbound().name }).where('id', '=', outbound().id).execute();
    expect((await api.get(`/api/v1/appointments/${booked.body.id}`)).body.assigned_to_name).toBe(outbound().name);
  });
});

describe('QB_PUBLIC_URL', () => {
  it('is read from the environment, without a trailing slash', () => {
    expect(loadConfig({ QB_PUBLIC_URL: 'https://QB.example.com/' }).publicUrl).toBe('https://qb.example.com');
    expect(loadConfig({ HOST: '::1', PORT: '9000' }).publicUrl).toBe('http://[::1]:9000');
  });

  it.each([
    'qb.example.com',
    'ftp://qb.example.com',
    'https://qb.example.com/app',
    'https://qb.example.com/?a=1',
    'https://me:pw@qb.example.com',
  ])('refuses %s and says what it must be', (value) => {
    expect(() => loadConfig({ QB_PUBLIC_URL: value })).toThrow(/QB_PUBLIC_URL must be the server's public origin, such as https:/);
  });

  it.each([
    [{ production: true, host: '0.0.0.0' }, false, true],
    [{ production: true, host: '::' }, false, true],
    [{ production: true, host: '[::]' }, false, true],
    [{ production: true, host: '0.0.0.0' }, true, false],
    [{ production: false, host: '0.0.0.0' }, false, false],
    [{ production: true, host: '10.0.0.5' }, false, false],
    [{ production: true, host: '127.0.0.1' }, false, false],
  ])('warns in production on a wildcard HOST without QB_PUBLIC_URL: %p, QB_PUBLIC_URL set %p: %p', (config, publicUrlSet, warns) => {
    const warning = publicUrlWarning({ ...config, publicUrl: 'http://0.0.0.0:8787' }, publicUrlSet);
    if (!warns) return expect(warning).toBeUndefined();
    expect(warning).toContain("records' `url` fields (leads, appointments, campaign contacts) point at http://0.0.0.0:8787");
    expect(warning).toContain('Set QB_PUBLIC_URL to the address people reach this server at, such as https://qualifybase.example.com');
  });

  it('logs that warning when a production server starts on 0.0.0.0 without QB_PUBLIC_URL, with the address it listens on', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const running = await startServer({
      config: { port: 0, host: '0.0.0.0', dataDir: 'memory', databaseUrl: undefined, runWorker: false, production: true },
      logger,
      seedDemo: false,
    });
    try {
      const warnings = lines.map((line) => JSON.parse(line)).filter((entry) => entry.level === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0].msg).toContain(`point at ${running.url}, the address this server listens on`);
      expect(warnings[0].msg).toContain('Set QB_PUBLIC_URL');
      expect(running.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    } finally {
      await running.close();
    }
  });

  it("defaults to the server's own address, so a record's url opens on this server", async () => {
    const srv = await startTestServer('pglite', { runWorker: false });
    try {
      const clinic = await srv.clinic();
      const lead = (await clinic.api.post('/api/v1/leads', { email: 'own@example.com' })).body;
      expect(lead.url).toBe(`${srv.url}/dashboard/leads/${lead.id}`);
    } finally {
      await srv.close();
    }
  });
});

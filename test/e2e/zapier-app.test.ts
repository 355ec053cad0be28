/**
 * Every operation of the Zapier app, run through createAppTester against the real reference
 * server (PGlite, in-process) with QB_HOST pointing at it:
 *
 * - authentication: the test (GET /me) and the connection label, and a bad key;
 * - campaign_list (the hidden dropdown trigger), with Zapier's 0-based page;
 * - each create: Add Contact to Campaign, Block Calendar Slot, Unblock Calendar Slot, checked
 *   against what the API then reports (the contact listed, the slot gone from and back in
 *   availability);
 * - each of the seven REST-hook triggers: subscribed (through the app) to a real receiver, the
 *   event caused through the API, the real signed delivery handed to perform as Zapier does
 *   (cleanedRequest + rawRequest with Http-* headers) and compared with the object's GET, the
 *   sample rows (performList) checked for the same object and shape, then unsubscribed; after
 *   that, the same events again reach a witness subscription but none of the triggers' receivers.
 */
import { Appointment, CalendarBlock, Campaign, CampaignContact, Me } from '../../contract/resources';
import { APPOINTMENT_TRACKED, withChanges } from '../../lib/changes';
import { freshClient } from '../../server/test/support/booking';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../server/test/support/receiver';
import { startTestServer, type ApiClient, type TestClinic, type TestServer } from '../../server/test/support/server';
import { app, pointAppAt, run, subscribe, type Subscription, withDeliveredChanges, zapierRawHeaders } from './zap';

const APPOINTMENT_HOOKS = ['appointment_created', 'appointment_updated', 'appointment_cancelled'] as const;
const CONTACT_OUTCOMES = ['qualified', 'not_interested', 'exhausted', 'callback_requested'] as const;
const CONTACT_HOOKS = CONTACT_OUTCOMES.map((o) => `campaign_contact_${o}` as const);
const HOOKS = [...APPOINTMENT_HOOKS, ...CONTACT_HOOKS];
type Hook = (typeof HOOKS)[number];

const EVENT_OF: Record<Hook, string> = {
  appointment_created: 'appointment.created',
  appointment_updated: 'appointment.updated',
  appointment_cancelled: 'appointment.cancelled',
  campaign_contact_qualified: 'campaign.contact.qualified',
  campaign_contact_not_interested: 'campaign.contact.not_interested',
  campaign_contact_exhausted: 'campaign.contact.exhausted',
  campaign_contact_callback_requested: 'campaign.contact.callback_requested',
};

describe('e2e: the Zapier app against the reference server', () => {
  let srv: TestServer;
  let clinic: TestClinic;
  /** Direct API calls (causing events, reading objects back) on a key of their own. */
  let api: ApiClient;
  let restoreHost = () => {};
  const subs = {} as Record<Hook, Subscription>;
  let witness: Receiver;

  beforeAll(async () => {
    srv = await startTestServer('pglite', { webhookScheduleScale: 0.001 });
    restoreHost = pointAppAt(srv.url);
    clinic = await srv.clinic('Zapier E2E Clinic');
    api = await freshClient(srv, clinic.clinic.id);
  });
  afterAll(async () => {
    for (const sub of Object.values(subs)) await sub.receiver.close();
    await witness?.close();
    restoreHost();
    await srv?.close();
  });

  const key = () => clinic.api_key;

  async function ok<T = any>(res: Promise<{ status: number; body: T }>, status = 200): Promise<T> {
    const { status: got, body } = await res;
    if (got !== status) throw new Error(`expected ${status}, got ${got}: ${JSON.stringify(body)}`);
    return body;
  }

  /** The n-th delivery at a trigger's receiver, run through the trigger's perform. */
  async function delivered(hook: Hook, n: number): Promise<{ delivery: ReceivedRequest; items: any[] }> {
    const received = await subs[hook].receiver.waitFor(n, 20_000);
    const delivery = received[n - 1]!;
    expect(JSON.parse(delivery.body).type).toBe(EVENT_OF[hook]);
    return { delivery, items: await subs[hook].perform(delivery) };
  }

  /** A campaign contact as GET /campaigns/contacts returns it. */
  async function contactById(id: string, status: string): Promise<unknown> {
    const page = await ok(api.get(`/api/v1/campaigns/contacts?status=${status}&per_page=100`));
    return page.data.find((c: { id: string }) => c.id === id);
  }

  async function addContact(name: string, phone: string) {
    return CampaignContact.parse(
      await run(app.creates.campaign_contact.operation.perform, key(), {
        inputData: { campaign_id: clinic.campaigns[0]!.id, name, phone, interest: 'implants', city: 'Boston' },
      }),
    );
  }

  async function bookAppointment(email: string) {
    const lead = await ok(api.post('/api/v1/leads', { email }), 201);
    const [first, second] = (await ok(api.get('/api/v1/availability?preference=any&limit=2'))).data;
    const booked = await ok(api.post('/api/v1/appointments', { lead_id: lead.id, ...first }), 201);
    return { booked, next: second as { scheduled_at: string; ends_at: string } };
  }

  describe('authentication', () => {
    it("tests the key with GET /me and labels the connection with the clinic's and the key's name", async () => {
      const me = Me.parse(await run(app.authentication.test, key()));
      expect(me.clinic).toEqual(clinic.clinic);
      expect(me.api_key.prefix).toBe(key().slice(0, me.api_key.prefix.length));
      const label = await run(app.authentication.connectionLabel, key(), { inputData: me });
      expect(label).toBe(`Zapier E2E Clinic (${me.api_key.name})`);
    });

    it('tells the user to reconnect when the key is wrong', async () => {
      const error = await run(app.authentication.test, 'qbk_live_not_a_real_key').catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('ExpiredAuthError');
      expect((error as Error).message).toMatch(/invalid or has been revoked.*reconnect/);
    });
  });

  it("campaign_list lists the clinic's campaigns (Zapier page 0 = API page 1), and an empty page after them", async () => {
    const listed = await run<any[]>(app.triggers.campaign_list.operation.perform, key(), { meta: { page: 0 } });
    for (const c of listed) Campaign.parse(c);
    const fromApi = await ok(api.get('/api/v1/campaigns?page=1&per_page=100'));
    expect(listed).toEqual(fromApi.data);
    expect(listed.map((c) => c.id).sort()).toEqual(clinic.campaigns.map((c) => c.id).sort());
    await expect(run(app.triggers.campaign_list.operation.perform, key(), { meta: { page: 1 } })).resolves.toEqual([]);
  });

  it('Add Contact to Campaign creates a contact the API lists', async () => {
    const contact = await run(app.creates.campaign_contact.operation.perform, key(), {
      inputData: {
        campaign_id: clinic.campaigns[1]!.id,
        name: 'Alex Smith',
        phone: '+14155551212',
        interest: 'implants',
        city: 'San Francisco',
        country: 'US',
        email: 'alex@example.com',
        language: 'en',
        notes: 'From the spring promo form',
      },
    });
    expect(CampaignContact.parse(contact)).toMatchObject({
      campaign_id: clinic.campaigns[1]!.id,
      name: 'Alex Smith',
      phone: '+14155551212',
      interest: 'implants',
      city: 'San Francisco',
      status: 'pending',
    });
    await expect(contactById(contact.id, 'pending')).resolves.toEqual(contact);
  });

  it('Block Calendar Slot takes a slot out of availability; Unblock Calendar Slot puts it back', async () => {
    const slotsNow = async () =>
      (await ok(api.get('/api/v1/availability?preference=any&limit=3'))).data.map((s: { scheduled_at: string }) => s.scheduled_at);
    const before = await slotsNow();
    const [slot] = (await ok(api.get('/api/v1/availability?preference=any&limit=1'))).data;
    expect(before[0]).toBe(slot.scheduled_at);

    const inputData = {
      external_source: 'google_calendar',
      external_id: 'evt_e2e_1',
      starts_at: slot.scheduled_at,
      ends_at: slot.ends_at,
      title: 'Dentist conference',
    };
    const block = CalendarBlock.parse(await run(app.creates.calendar_block.operation.perform, key(), { inputData }));
    expect(block).toMatchObject({ ...inputData, starts_at: slot.scheduled_at, ends_at: slot.ends_at });
    expect(await slotsNow()).not.toContain(slot.scheduled_at);

    // Idempotent on external_source + external_id: the same event again updates the same block.
    const again = await run(app.creates.calendar_block.operation.perform, key(), { inputData: { ...inputData, title: 'Renamed' } });
    expect(again).toMatchObject({ id: block.id, title: 'Renamed' });

    const unblocked = await run(app.creates.calendar_unblock.operation.perform, key(), {
      inputData: { external_source: 'google_calendar', external_id: 'evt_e2e_1' },
    });
    expect(unblocked).toEqual({
      id: 'google_calendar:evt_e2e_1',
      external_source: 'google_calendar',
      external_id: 'evt_e2e_1',
      unblocked: true,
    });
    expect(await slotsNow()).toEqual(before);
  });

  describe('REST-hook triggers', () => {
    it('subscribes each trigger to its own receiver with its one event and a signing secret', async () => {
      for (const hook of HOOKS) subs[hook] = await subscribe(hook, key());
      for (const hook of HOOKS) {
        expect(subs[hook].subscribeData).toMatchObject({ url: subs[hook].receiver.url, events: [EVENT_OF[hook]] });
        expect(subs[hook].subscribeData.signingSecret).toMatch(/^whsec_/);
      }
      // GET /webhooks lists the subscriptions of the calling key: the key Zapier holds.
      const listed = await ok(clinic.api.get('/api/v1/webhooks'));
      expect(listed.data.map((w: { id: string }) => w.id).sort()).toEqual(HOOKS.map((h) => subs[h].subscribeData.id).sort());
    });

    it('appointment_created / _updated / _cancelled: each real delivery, through perform, equals the GET of the appointment', async () => {
      const { booked, next } = await bookAppointment('book@example.com');
      const created = await delivered('appointment_created', 1);
      // Zapier's raw form of the headers is what perform verified.
      expect(Object.keys(zapierRawHeaders(created.delivery.headers))).toEqual(
        expect.arrayContaining(['Http-Webhook-Signature', 'Http-X-Qualifybase-Signature']),
      );
      expect(created.items).toEqual([await ok(api.get(`/api/v1/appointments/${booked.id}`))]);

      await ok(api.patch(`/api/v1/appointments/${booked.id}`, { scheduled_at: next.scheduled_at, ends_at: next.ends_at }));
      const updated = await delivered('appointment_updated', 1);
      const afterPatch = Appointment.parse(await ok(api.get(`/api/v1/appointments/${booked.id}`)));
      expect(afterPatch.scheduled_at).toBe(next.scheduled_at);
      expect(updated.items).toEqual([withDeliveredChanges(afterPatch, updated.delivery, APPOINTMENT_TRACKED)]);

      await ok(api.delete(`/api/v1/appointments/${booked.id}`));
      const cancelled = await delivered('appointment_cancelled', 1);
      const afterCancel = Appointment.parse(await ok(api.get(`/api/v1/appointments/${booked.id}`)));
      expect(afterCancel.status).toBe('cancelled');
      expect(cancelled.items).toEqual([afterCancel]);

      // Sample rows: confirmed for created/updated (the rescheduled one is cancelled by now, so
      // book another), cancelled for cancelled; same shape as perform's items.
      const { booked: other } = await bookAppointment('sample@example.com');
      expect((await delivered('appointment_created', 2)).items).toEqual([other]);
      const current = await ok(api.get(`/api/v1/appointments/${other.id}`));
      await expect(run<any[]>(app.triggers.appointment_created.operation.performList, key())).resolves.toEqual([current]);
      // Updated Appointment's rows: the same keys as a live update, no change named.
      const updatedRows = await run<any[]>(app.triggers.appointment_updated.operation.performList, key());
      expect(updatedRows).toEqual([withChanges(current, {}, APPOINTMENT_TRACKED)]);
      expect(Object.keys(updatedRows[0]).sort()).toEqual(Object.keys(updated.items[0]).sort());
      const cancelledRows = await run<any[]>(app.triggers.appointment_cancelled.operation.performList, key());
      expect(cancelledRows).toEqual([afterCancel]);
      expect(Object.keys(cancelledRows[0]).sort()).toEqual(Object.keys(cancelled.items[0]).sort());
    });

    it.each(CONTACT_OUTCOMES)('campaign_contact_%s: the real delivery, through perform, equals the listed contact', async (outcome) => {
      const hook = `campaign_contact_${outcome}` as Hook;
      const contact = await addContact(`Contact ${outcome}`, `+1415555${String(CONTACT_OUTCOMES.indexOf(outcome)).padStart(4, '0')}`);
      const recorded = await ok(api.post(`/dev/campaign-contacts/${contact.id}/outcome`, { status: outcome }));
      expect(recorded).toMatchObject({ id: contact.id, status: outcome, attempts: 1 });

      const { items } = await delivered(hook, 1);
      const current = await contactById(contact.id, outcome);
      expect(current).toEqual(recorded);
      expect(items).toEqual([current]);
      CampaignContact.parse(items[0]);

      const rows = await run<any[]>(app.triggers[hook].operation.performList, key());
      expect(rows).toEqual([current]);
      // Each trigger got exactly its own event, no other outcome's.
      expect(subs[hook].receiver.received).toHaveLength(1);
    });

    it('unsubscribes every trigger; later events reach a witness subscription but none of the triggers', async () => {
      for (const hook of HOOKS) {
        await expect(subs[hook].unsubscribe()).resolves.toEqual({ id: subs[hook].subscribeData.id, unsubscribed: true });
      }
      expect((await ok(clinic.api.get('/api/v1/webhooks'))).data).toEqual([]);
      const counts = Object.fromEntries(HOOKS.map((h) => [h, subs[h].receiver.received.length]));
      expect(counts).toEqual({ ...Object.fromEntries(HOOKS.map((h) => [h, 1])), appointment_created: 2 });

      // A subscription made directly through the API for every event: proof the events below
      // were sent, so the triggers' silent receivers mean "unsubscribed", not "too early".
      witness = await startReceiver();
      await ok(api.post('/api/v1/webhooks', { url: witness.url, events: Object.values(EVENT_OF) }), 201);

      const { booked, next } = await bookAppointment('after@example.com');
      await ok(api.patch(`/api/v1/appointments/${booked.id}`, { scheduled_at: next.scheduled_at, ends_at: next.ends_at }));
      await ok(api.delete(`/api/v1/appointments/${booked.id}`));
      for (const [i, outcome] of CONTACT_OUTCOMES.entries()) {
        const contact = await addContact(`Later ${outcome}`, `+1415556${String(i).padStart(4, '0')}`);
        await ok(api.post(`/dev/campaign-contacts/${contact.id}/outcome`, { status: outcome }));
      }

      const received = await witness.waitFor(HOOKS.length, 20_000);
      expect(received.map((r) => JSON.parse(r.body).type).sort()).toEqual(Object.values(EVENT_OF).sort());
      // A grace period for any straggler, then nothing new at the unsubscribed receivers.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      for (const hook of HOOKS) expect([hook, subs[hook].receiver.received.length]).toEqual([hook, counts[hook]]);
    });
  });
});

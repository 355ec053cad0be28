/**
 * A Zap-shaped chain against the reference server: create a lead -> find a slot -> book ->
 * reschedule -> cancel, with the webhook each step fires arriving, signed, at the matching
 * trigger's subscription and going through that trigger's perform.
 */
import { Appointment, Lead } from '../../contract/resources';
import { APPOINTMENT_TRACKED } from '../../lib/changes';
import type { ReceivedRequest } from '../../server/test/support/receiver';
import { startTestServer, type TestClinic, type TestServer } from '../../server/test/support/server';
import { app, appError, pointAppAt, run, subscribe, type Subscription, withDeliveredChanges } from './zap';

const HOOKS = ['lead_created', 'lead_updated', 'appointment_created', 'appointment_updated', 'appointment_cancelled'] as const;
type Hook = (typeof HOOKS)[number];

describe('e2e: lead -> slot -> book -> reschedule -> cancel, with webhooks into the triggers', () => {
  let srv: TestServer;
  let clinic: TestClinic;
  let restoreHost = () => {};
  const subs = {} as Record<Hook, Subscription>;

  beforeAll(async () => {
    srv = await startTestServer('pglite', { webhookScheduleScale: 0.001 });
    restoreHost = pointAppAt(srv.url);
    clinic = await srv.clinic('Chain Clinic');
    for (const key of HOOKS) subs[key] = await subscribe(key, clinic.api_key);
  });
  afterAll(async () => {
    for (const sub of Object.values(subs)) await sub.receiver.close();
    restoreHost();
    await srv?.close();
  });

  const key = () => clinic.api_key;
  /** Waits for the n-th delivery at a trigger's receiver and runs it through perform. */
  async function delivered(hook: Hook, n: number): Promise<{ delivery: ReceivedRequest; items: any[] }> {
    const received = await subs[hook].receiver.waitFor(n, 20_000);
    const delivery = received[n - 1]!;
    return { delivery, items: await subs[hook].perform(delivery) };
  }

  it('subscribed each trigger with its own event and a signing secret', () => {
    expect(subs.lead_created.subscribeData.events).toEqual(['lead.created']);
    expect(subs.lead_updated.subscribeData.events).toEqual(['lead.updated']);
    expect(subs.appointment_cancelled.subscribeData.events).toEqual(['appointment.cancelled']);
    for (const sub of Object.values(subs)) expect(sub.subscribeData.signingSecret).toMatch(/^whsec_/);
  });

  it('runs the chain, and every step arrives at its trigger', async () => {
    // 1. Create or Update Lead -> New Lead.
    const lead = Lead.parse(
      await run(app.creates.lead.operation.perform, key(), {
        inputData: {
          full_name: 'Robin Park',
          email: 'robin@example.com',
          phone: '+14155550111',
          source: 'paid_ads',
          external_source: 'facebook_lead_ads',
          external_id: 'fb_chain_1',
        },
      }),
    );
    const created = await delivered('lead_created', 1);
    expect(created.delivery.headers['webhook-signature']).toMatch(/^v1,/);
    expect(created.items).toEqual([lead]);

    // The dropdowns see the new lead, and only outbound agents.
    const leads = await run<any[]>(app.triggers.lead_list.operation.perform, key(), { meta: { page: 0 } });
    expect(leads.map((l) => l.id)).toEqual([lead.id]);
    const agents = await run<any[]>(app.triggers.agent_list.operation.perform, key(), { meta: { page: 0 } });
    expect(agents.length).toBeGreaterThan(0);
    expect(agents.every((a) => a.direction === 'outbound')).toBe(true);
    expect(agents.map((a) => a.id)).toEqual(clinic.agents.filter((a) => a.direction === 'outbound').map((a) => a.id));

    // 2. Find Available Slot (two, the second for the reschedule).
    const slots = await run<any[]>(app.searches.find_available_slot.operation.perform, key(), {
      inputData: { preference: 'any', limit: 2 },
    });
    expect(slots).toHaveLength(2);
    for (const slot of slots) expect(slot).toEqual({ id: slot.scheduled_at, scheduled_at: slot.scheduled_at, ends_at: slot.ends_at });
    const [first, second] = slots;

    // 3. Book Appointment with the slot mapped straight in -> New Appointment, Updated Lead (booked).
    const booked = Appointment.parse(
      await run(app.creates.appointment.operation.perform, key(), {
        inputData: { lead_id: lead.id, scheduled_at: first.scheduled_at, ends_at: first.ends_at, title: 'Consultation' },
      }),
    );
    expect(booked).toMatchObject({ lead_id: lead.id, scheduled_at: first.scheduled_at, ends_at: first.ends_at, status: 'confirmed' });
    // "New Appointment -> text the patient" needs no extra step: the appointment carries the
    // lead's contact details, in the create's output and in the webhook alike.
    const contact = { lead_full_name: 'Robin Park', lead_phone: '+14155550111', lead_email: 'robin@example.com' };
    expect(booked).toMatchObject(contact);
    expect((await delivered('appointment_created', 1)).items).toEqual([booked]);
    const leadBooked = await delivered('lead_updated', 1);
    expect(leadBooked.items).toHaveLength(1);
    expect(leadBooked.items[0]).toMatchObject({ id: lead.id, status: 'booked' });

    // The same slot again is taken: the message says so and points at Find Available Slot.
    const other = await run(app.creates.lead.operation.perform, key(), { inputData: { email: 'other@example.com' } });
    const taken = await appError(
      run(app.creates.appointment.operation.perform, key(), {
        inputData: { lead_id: other.id, scheduled_at: first.scheduled_at, ends_at: first.ends_at },
      }),
    );
    expect(taken).toMatchObject({ code: 'slot_unavailable', status: 409 });
    expect(taken.message).toMatch(/Find Available Slot/);

    // Find Appointment: by id, by lead and date range, and a miss.
    await expect(
      run(app.searches.find_appointment.operation.perform, key(), { inputData: { appointment_id: booked.id } }),
    ).resolves.toEqual([booked]);
    await expect(
      run(app.searches.find_appointment.operation.perform, key(), {
        inputData: { lead_id: lead.id, from: first.scheduled_at, to: second.ends_at },
      }),
    ).resolves.toEqual([booked]);
    await expect(
      run(app.searches.find_appointment.operation.perform, key(), {
        inputData: { appointment_id: '00000000-0000-4000-8000-000000000000' },
      }),
    ).resolves.toEqual([]);
    const fromApi = await clinic.api.get(`/api/v1/appointments/${booked.id}`);
    expect(fromApi.body).toEqual(booked);
    const dropdown = await run<any[]>(app.triggers.appointment_list.operation.perform, key(), { meta: { page: 0 } });
    expect(dropdown.map((a) => a.id)).toEqual([booked.id]);
    expect(dropdown[0]).toMatchObject(contact);
    expect(dropdown[0].label).toMatch(/^\w{3}, \w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M UTC – Robin Park$/);

    // 4. Reschedule Appointment to the second slot -> Updated Appointment.
    const moved = Appointment.parse(
      await run(app.creates.appointment_update.operation.perform, key(), {
        inputData: { appointment_id: booked.id, scheduled_at: second.scheduled_at, ends_at: second.ends_at },
      }),
    );
    expect(moved).toMatchObject({ id: booked.id, scheduled_at: second.scheduled_at, ends_at: second.ends_at, ...contact });
    const reschedule = await delivered('appointment_updated', 1);
    expect(reschedule.items).toEqual([withDeliveredChanges(moved, reschedule.delivery, APPOINTMENT_TRACKED)]);

    // 5. Cancel Appointment -> Cancelled Appointment.
    const cancelled = Appointment.parse(
      await run(app.creates.appointment_cancel.operation.perform, key(), { inputData: { appointment_id: booked.id } }),
    );
    expect(cancelled).toMatchObject({ id: booked.id, status: 'cancelled', ...contact });
    expect(cancelled.cancelled_at).not.toBeNull();
    expect((await delivered('appointment_cancelled', 1)).items).toEqual([cancelled]);

    // A hook's sample rows (performList) have the shape its perform returns.
    const samples = await run<any[]>(app.triggers.lead_created.operation.performList, key());
    expect(samples.map((l) => l.id)).toEqual([other.id, lead.id]);
    expect(Object.keys(samples[1]).sort()).toEqual(Object.keys(created.items[0]).sort());

    // A delivery whose body was altered on the way is refused.
    const tampered = { ...created.delivery, body: created.delivery.body.replace('Robin Park', 'Mallory') };
    await expect(subs.lead_created.perform(tampered)).rejects.toMatchObject({ name: 'HaltedError' });

    // Nothing arrived at a trigger that should not have fired.
    await subs.lead_created.receiver.waitFor(2); // lead + the other lead
    expect(subs.lead_created.receiver.received).toHaveLength(2);
    expect(subs.appointment_created.receiver.received).toHaveLength(1);
    expect(subs.appointment_updated.receiver.received).toHaveLength(1);
    expect(subs.appointment_cancelled.receiver.received).toHaveLength(1);
    for (const { body } of subs.lead_updated.receiver.received) expect(JSON.parse(body).type).toBe('lead.updated');
  });

  it('unsubscribes every trigger (DELETE /webhooks/{id})', async () => {
    for (const sub of Object.values(subs)) {
      await expect(sub.unsubscribe()).resolves.toEqual({ id: sub.subscribeData.id, unsubscribed: true });
    }
    const remaining = await clinic.api.get('/api/v1/webhooks');
    expect(remaining.body.data).toEqual([]);
    // Turning a Zap off again (the API answers 404 now) still succeeds.
    const [again] = Object.values(subs);
    await expect(again!.unsubscribe()).resolves.toEqual({ id: again!.subscribeData.id, unsubscribed: true });
  });
});

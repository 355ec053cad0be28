/** Webhook delivery against a real receiver: routing, signatures, retries, 410, redelivery. */
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { EVENT_TYPES, EventEnvelope, WebhookDelivery } from '../../contract';
import { createApiKey } from '../services/api-keys';
import { sign } from '../webhooks/signature';
import { backends } from './support/databases';
import { startReceiver, type Receiver } from './support/receiver';
import { startTestServer, type ApiClient, type TestClinic, type TestServer } from './support/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Makes every event type happen once in the clinic, through the API and the dev tool. */
async function causeEveryEvent(clinic: TestClinic) {
  const api = clinic.api;
  const lead = await api.post('/api/v1/leads', { full_name: 'Event Lead', email: 'event@example.com' });
  expect(lead.status).toBe(201);
  expect((await api.patch(`/api/v1/leads/${lead.body.id}`, { city: 'Boston' })).status).toBe(200);
  const [slot, other] = (await api.get('/api/v1/availability?limit=2')).body.data;
  const appt = await api.post('/api/v1/appointments', { lead_id: lead.body.id, ...slot });
  expect(appt.status).toBe(201);
  expect((await api.patch(`/api/v1/appointments/${appt.body.id}`, other)).status).toBe(200);
  expect((await api.delete(`/api/v1/appointments/${appt.body.id}`)).status).toBe(200);
  for (const outcome of ['qualified', 'not_interested', 'exhausted', 'callback_requested']) {
    const contact = await api.post(`/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`, {
      name: `Contact ${outcome}`,
      phone: '+14155550123',
      interest: 'implants',
      city: 'Boston',
    });
    expect(contact.status).toBe(201);
    const res = await api.post(`/dev/campaign-contacts/${contact.body.id}/outcome`, { status: outcome });
    expect(res.status).toBe(200);
  }
}

describe.each(backends())('webhook delivery on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let other: TestClinic;
  let secondKey: ApiClient;
  const receivers: Receiver[] = [];

  async function receiver(): Promise<Receiver> {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  }

  beforeAll(async () => {
    srv = await startTestServer(backend, { webhookScheduleScale: 0.001 });
    clinic = await srv.clinic('Hook Clinic');
    other = await srv.clinic('Other Clinic');
    const { key } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'second key');
    secondKey = srv.client(key);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await srv.close();
  });

  it('delivers each event type once per matching subscription, and never to another key or clinic', async () => {
    const all = await receiver();
    const onlyCreated = await receiver();
    const otherClinic = await receiver();
    const subAll = await clinic.api.post('/api/v1/webhooks', { url: all.url, events: [...EVENT_TYPES] });
    expect(subAll.status).toBe(201);
    expect((await secondKey.post('/api/v1/webhooks', { url: onlyCreated.url, events: ['appointment.created'] })).status).toBe(201);
    expect((await other.api.post('/api/v1/webhooks', { url: otherClinic.url, events: [...EVENT_TYPES] })).status).toBe(201);

    await causeEveryEvent(clinic);
    // 9 types, plus the lead.updated that booking causes (the lead becomes "booked").
    await all.waitFor(10);
    await onlyCreated.waitFor(1);
    await sleep(1000); // anything extra would have arrived by now
    expect(all.received).toHaveLength(10);
    expect(onlyCreated.received).toHaveLength(1);
    expect(otherClinic.received).toHaveLength(0);

    const bodies = all.received.map((r) => EventEnvelope.parse(JSON.parse(r.body)));
    expect(new Set(bodies.map((b) => b.type))).toEqual(new Set(EVENT_TYPES));
    expect(new Set(all.received.map((r) => r.headers['webhook-id'])).size).toBe(10);
    for (const r of all.received) {
      const body = JSON.parse(r.body) as EventEnvelope;
      expect(r.headers['x-qualifybase-event']).toBe(body.type);
      expect(r.headers['x-qualifybase-delivery']).toBe(r.headers['webhook-id']);
      expect(r.headers['x-qualifybase-signature']).toBe(r.headers['webhook-signature']);
      expect(r.headers['x-qualifybase-timestamp']).toBe(r.headers['webhook-timestamp']);
      const key = body.type.startsWith('appointment.') ? 'appointment' : body.type.startsWith('campaign.') ? 'contact' : 'lead';
      expect(Object.keys(body.data)).toEqual(body.type.endsWith('.updated') ? [key, 'previous_attributes'] : [key]);
    }
    // The delivered object is the object as its GET returns it at that moment.
    const created = bodies.find((b) => b.type === 'appointment.created')!;
    expect(created.data.appointment!.status).toBe('confirmed');
    const cancelled = bodies.find((b) => b.type === 'appointment.cancelled')!;
    const fetched = await clinic.api.get(`/api/v1/appointments/${cancelled.data.appointment!.id}`);
    expect(cancelled.data.appointment).toEqual(fetched.body);

    // Signatures verify with the Standard Webhooks library; tampering or staleness does not.
    const verifier = new StandardWebhook(subAll.body.signingSecret);
    for (const r of all.received) expect(() => verifier.verify(r.body, r.headers as Record<string, string>)).not.toThrow();
    const sample = all.received[0]!;
    expect(() => verifier.verify(sample.body.replace('"type"', '"typo"'), sample.headers as Record<string, string>)).toThrow();
    const staleTs = Math.floor(Date.now() / 1000) - 600;
    const staleHeaders = {
      'webhook-id': String(sample.headers['webhook-id']),
      'webhook-timestamp': String(staleTs),
      'webhook-signature': sign(subAll.body.signingSecret, String(sample.headers['webhook-id']), staleTs, sample.body),
    };
    expect(() => verifier.verify(sample.body, staleHeaders)).toThrow(/too old/i);
    expect(() =>
      new StandardWebhook(`whsec_${Buffer.from('wrong secret 123').toString('base64')}`).verify(
        sample.body,
        sample.headers as Record<string, string>,
      ),
    ).toThrow();
  });

  it('keeps trying through down, 500 and 429 with Retry-After, and logs every attempt', async () => {
    const r = await receiver();
    r.script('drop', { status: 500 }, { status: 429, headers: { 'retry-after': '1' } }, { status: 200 });
    const sub = await clinic.api.post('/api/v1/webhooks', { url: r.url, events: ['lead.created'] });
    await clinic.api.post('/api/v1/leads', { email: 'retry@example.com' });
    await r.waitFor(4, 20_000);
    const ids = new Set(r.received.map((x) => x.headers['webhook-id']));
    expect(ids.size).toBe(1); // one delivery, stable id across retries
    expect(r.received[3]!.at - r.received[2]!.at).toBeGreaterThanOrEqual(950); // Retry-After honoured

    let log: WebhookDelivery[] = [];
    for (let i = 0; i < 50; i++) {
      log = (await clinic.api.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).body.data;
      if (log[0]?.status === 'succeeded') break;
      await sleep(100);
    }
    expect(log).toHaveLength(1);
    const delivery = WebhookDelivery.parse(log[0]);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.id).toBe([...ids][0]);
    expect(delivery.attempts.map((a) => a.response_status)).toEqual([null, 500, 429, 200]);
    expect(delivery.attempts[0]!.error).toEqual(expect.any(String));
    expect(delivery.attempts[3]!.error).toBeNull();
  });

  it('removes the subscription when the receiver answers 410 Gone', async () => {
    const r = await receiver();
    r.script({ status: 410 });
    const sub = await clinic.api.post('/api/v1/webhooks', { url: r.url, events: ['lead.created'] });
    await clinic.api.post('/api/v1/leads', { email: 'gone@example.com' });
    await r.waitFor(1);
    let listed = true;
    for (let i = 0; i < 50 && listed; i++) {
      await sleep(100);
      listed = (await clinic.api.get('/api/v1/webhooks')).body.data.some((w: { id: string }) => w.id === sub.body.id);
    }
    expect(listed).toBe(false);
    await clinic.api.post('/api/v1/leads', { email: 'after-gone@example.com' });
    await sleep(1000);
    expect(r.received).toHaveLength(1);
  });

  it('redelivers on request with the same id, only for the owning key', async () => {
    const r = await receiver();
    const sub = await clinic.api.post('/api/v1/webhooks', { url: r.url, events: ['lead.created'] });
    await clinic.api.post('/api/v1/leads', { email: 'again@example.com' });
    await r.waitFor(1);
    let delivery: WebhookDelivery | undefined;
    for (let i = 0; i < 50 && delivery?.status !== 'succeeded'; i++) {
      await sleep(50);
      delivery = (await clinic.api.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).body.data[0];
    }
    const path = `/api/v1/webhooks/${sub.body.id}/deliveries/${delivery!.id}/redeliver`;
    expect((await secondKey.post(path)).status).toBe(404);
    expect((await other.api.post(path)).status).toBe(404);
    expect((await secondKey.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).status).toBe(404);
    const res = await clinic.api.post(path);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('pending');
    await r.waitFor(2);
    expect(r.received[1]!.headers['webhook-id']).toBe(delivery!.id);
    expect(r.received[1]!.body).toBe(r.received[0]!.body);
  });

  it('a redelivery replaces the scheduled retry instead of starting a second retry chain', async () => {
    const r = await receiver();
    // First attempt: come back in 5 s. The redelivery: come back in 8 s. Then fine.
    r.script({ status: 503, headers: { 'retry-after': '5' } }, { status: 503, headers: { 'retry-after': '8' } });
    const sub = await clinic.api.post('/api/v1/webhooks', { url: r.url, events: ['lead.created'] });
    await clinic.api.post('/api/v1/leads', { email: 'chain@example.com' });
    await r.waitFor(1);
    let delivery: WebhookDelivery | undefined;
    for (let i = 0; i < 50 && delivery?.next_attempt_at == null; i++) {
      await sleep(50);
      delivery = (await clinic.api.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).body.data[0];
    }
    expect(delivery!.attempts).toHaveLength(1);
    expect((await clinic.api.post(`/api/v1/webhooks/${sub.body.id}/deliveries/${delivery!.id}/redeliver`)).status).toBe(202);
    await r.waitFor(3, 20_000);
    // The retry scheduled for +5 s did not fire: the next request is the one 8 s after the redelivery.
    expect(r.received[2]!.at - r.received[1]!.at).toBeGreaterThanOrEqual(7900);
    for (let i = 0; i < 50 && delivery?.status !== 'succeeded'; i++) {
      await sleep(50);
      delivery = (await clinic.api.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).body.data[0];
    }
    expect(delivery!.attempts.map((a) => a.response_status)).toEqual([503, 503, 200]);
    await sleep(1000);
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((x) => x.headers['webhook-id']))).toEqual(new Set([delivery!.id]));
  });

  it('queues again a pending delivery whose job was lost', async () => {
    // Jobs expire after 1 s here, so a delivery 5 s overdue counts as lost.
    const lossy = await startTestServer(backend, { webhookScheduleScale: 0.001, webhookJobExpireSeconds: 1 });
    try {
      const c = await lossy.clinic('Lossy Clinic');
      const r = await receiver();
      r.script({ status: 503, headers: { 'retry-after': '1' } });
      const sub = await c.api.post('/api/v1/webhooks', { url: r.url, events: ['lead.created'] });
      await c.api.post('/api/v1/leads', { email: 'lost@example.com' });
      await r.waitFor(1);
      let delivery: WebhookDelivery | undefined;
      for (let i = 0; i < 50 && delivery?.next_attempt_at == null; i++) {
        await sleep(50);
        delivery = (await c.api.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).body.data[0];
      }
      // The queue loses the scheduled retry (as after a purge, or pg-boss giving up after crashes).
      const purged = await lossy.running.deps.database.executeSql(
        "delete from pgboss.job where name = 'webhook-delivery' and state = 'created' returning id",
      );
      expect(purged.rows.length).toBeGreaterThanOrEqual(1);
      await r.waitFor(2, 30_000);
      expect(r.received[1]!.headers['webhook-id']).toBe(delivery!.id);
      expect(r.received[1]!.at - r.received[0]!.at).toBeGreaterThanOrEqual(5000); // found overdue, not the lost retry
      for (let i = 0; i < 50 && delivery?.status !== 'succeeded'; i++) {
        await sleep(50);
        delivery = (await c.api.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).body.data[0];
      }
      expect(delivery!.status).toBe('succeeded');
      expect(delivery!.attempts.map((a) => a.response_status)).toEqual([503, 200]);
    } finally {
      await lossy.close();
    }
  });

  it('stops delivering once the subscription is deleted', async () => {
    const r = await receiver();
    const sub = await clinic.api.post('/api/v1/webhooks', { url: r.url, events: ['lead.created'] });
    expect((await clinic.api.delete(`/api/v1/webhooks/${sub.body.id}`)).status).toBe(204);
    await clinic.api.post('/api/v1/leads', { email: 'unsubscribed@example.com' });
    await sleep(1000);
    expect(r.received).toHaveLength(0);
  });

  describe('with the retry schedule compressed 100,000 times (about 2.3 s for ~2.7 days)', () => {
    let fast: TestServer;
    beforeAll(async () => {
      fast = await startTestServer(backend, { webhookScheduleScale: 0.00001 });
    });
    afterAll(() => fast.close());

    it('gives up after the last retry, marks the delivery failed, and disables an endpoint failing for days', async () => {
      const c = await fast.clinic('Failing Clinic');
      const r = await receiver();
      r.script(...Array.from({ length: 10 }, () => ({ status: 500 })));
      const sub = await c.api.post('/api/v1/webhooks', { url: r.url, events: ['lead.created'] });
      await c.api.post('/api/v1/leads', { email: 'giveup@example.com' });
      await r.waitFor(10, 30_000);
      let delivery: WebhookDelivery | undefined;
      for (let i = 0; i < 100 && delivery?.status !== 'failed'; i++) {
        await sleep(100);
        delivery = (await c.api.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).body.data[0];
      }
      expect(delivery!.status).toBe('failed');
      expect(delivery!.attempts).toHaveLength(10); // the first try and 9 retries
      expect(delivery!.attempts.every((a) => a.response_status === 500)).toBe(true);
      const webhook = (await c.api.get('/api/v1/webhooks')).body.data.find((w: { id: string }) => w.id === sub.body.id);
      expect(webhook.status).toBe('disabled');
      expect(webhook.disabled_reason).toMatch(/no successful delivery since/);
      await c.api.post('/api/v1/leads', { email: 'after-disable@example.com' });
      await sleep(800);
      expect(r.received).toHaveLength(10);

      // The owner fixed the endpoint (it now answers 200) and redelivers: the subscription is active again.
      const res = await c.api.post(`/api/v1/webhooks/${sub.body.id}/deliveries/${delivery!.id}/redeliver`);
      expect(res.status).toBe(202);
      await r.waitFor(11);
      expect(r.received[10]!.headers['webhook-id']).toBe(delivery!.id);
      let enabled: { status: string; disabled_reason: string | null } | undefined;
      for (let i = 0; i < 50 && enabled?.status !== 'active'; i++) {
        enabled = (await c.api.get('/api/v1/webhooks')).body.data.find((w: { id: string }) => w.id === sub.body.id);
        if (enabled?.status !== 'active') await sleep(50);
      }
      expect(enabled).toMatchObject({ status: 'active', disabled_reason: null });
      await c.api.post('/api/v1/leads', { email: 'after-enable@example.com' });
      await r.waitFor(12);
      expect(JSON.parse(r.received[11]!.body).data.lead.email).toBe('after-enable@example.com');
    });
  });
});

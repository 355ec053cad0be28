/**
 * The public API docs' curl examples, verbatim, against a first start (the demo clinic): the
 * docs name a real agent and campaign id, which the demo clinic carries.
 */
import pino from 'pino';
import { CalendarBlock, CampaignContact, Lead, Slot } from '../../contract';
import { startServer, type RunningServer } from '../server';
import { backends, openTestDatabase } from './support/databases';
import { apiClient, type ApiClient } from './support/server';

describe.each(backends())('the seed document examples on %s', (backend) => {
  let running: RunningServer;
  let api: ApiClient;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const database = await openTestDatabase(backend);
    running = await startServer({ database, config: { port: 0, devTools: true }, logger: pino({ level: 'silent' }) });
    api = apiClient(running.url, running.demo!.clinic.api_key);
    close = async () => {
      await running.close();
      await database.close();
    };
  });
  afterAll(() => close());

  it('Check availability', async () => {
    const res = await api.get('/api/v1/availability?from=2026-04-26&preference=morning&limit=5');
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(5);
    for (const s of res.body.data) Slot.parse(s);
  });

  it('Create or update a lead (routed to the documented agent id)', async () => {
    const body = {
      full_name: 'Alex Smith',
      phone: '+14155551212',
      email: 'alex@example.com',
      treatment_interest: 'implants',
      country: 'US',
      city: 'San Francisco',
      source: 'paid_ads',
      agent_id: '4315bd15-3bcf-4685-9430-09afc83e8e5a',
      external_source: 'make_facebook_lead_ads',
      external_id: 'fb_lead_987654321',
    };
    const created = await api.post('/api/v1/leads', body);
    expect(created.status).toBe(201);
    expect(Lead.parse(created.body).agent_id).toBe(body.agent_id);
    const again = await api.post('/api/v1/leads', body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
  });

  it('Book an appointment (the docs elide the lead id; a real one goes in its place)', async () => {
    const lead = (await api.get('/api/v1/leads?external_source=make_facebook_lead_ads&external_id=fb_lead_987654321')).body.data[0];
    const [slot] = (await api.get('/api/v1/availability?limit=1')).body.data;
    const res = await api.post('/api/v1/appointments', {
      lead_id: lead.id,
      scheduled_at: slot.scheduled_at.replace('.000Z', 'Z'),
      ends_at: slot.ends_at.replace('.000Z', 'Z'),
      title: 'Consultation',
    });
    expect(res.status).toBe(201);
  });

  it('Add a contact to the documented campaign id', async () => {
    const res = await api.post('/api/v1/campaigns/8a0b71f5-2f1d-4a30-a6d5-14fb4d9d9f17/contacts', {
      name: 'Alex Smith',
      phone: '+14155551212',
      interest: 'implants',
      city: 'San Francisco',
      country: 'US',
      email: 'alex@example.com',
    });
    expect(res.status).toBe(201);
    expect(CampaignContact.parse(res.body).campaign_id).toBe('8a0b71f5-2f1d-4a30-a6d5-14fb4d9d9f17');
  });

  it('Upsert and delete an external calendar block', async () => {
    const body = {
      external_source: 'google_calendar',
      external_id: 'evt_abc123',
      starts_at: '2026-05-15T11:00:00Z',
      ends_at: '2026-05-15T11:30:00Z',
      title: 'External consultation',
    };
    const first = await api.post('/api/v1/availability/blocks', body);
    expect(first.status).toBe(201);
    CalendarBlock.parse(first.body);
    const second = await api.post('/api/v1/availability/blocks', body);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const del = '/api/v1/availability/blocks?external_source=google_calendar&external_id=evt_abc123';
    expect((await api.delete(del)).status).toBe(204);
    expect((await api.delete(del)).status).toBe(204);
  });

  it('GET /api/v1/me labels the connection with the clinic name', async () => {
    const res = await api.get('/api/v1/me');
    expect(res.body.clinic.name).toBe('Demo Dental Clinic');
  });
});

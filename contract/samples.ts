/**
 * Static samples of every resource: the Zapier app's `sample`s and the OpenAPI examples.
 * Type-only imports keep this file free of zod at run time; tests check each against its schema.
 */
import type { Agent, Appointment, CalendarBlock, Campaign, CampaignContact, Lead, Me, Slot } from './resources';
import type { EventEnvelope, WebhookCreated } from './events';

export const sampleMe: Me = {
  clinic: { id: '0b6f3c1e-5d2a-4f8e-9a41-2c7d8e9f0a1b', name: 'Acme Dental', timezone: 'America/New_York' },
  api_key: {
    id: '5a7d1c2e-3b4f-4a6d-8e9f-0a1b2c3d4e5f',
    name: 'Zapier',
    prefix: 'qbk_live_3Fz9',
    scopes: ['leads:read', 'leads:write', 'appointments:read', 'appointments:write'],
    created_at: '2026-05-01T09:00:00.000Z',
    last_used_at: '2026-05-14T12:00:00.000Z',
  },
};

export const sampleLead: Lead = {
  id: 'c3e8a1d4-7b2f-4e6a-9c1d-5f8e2a4b6c7d',
  full_name: 'Alex Smith',
  first_name: 'Alex',
  last_name: 'Smith',
  phone: '+14155551212',
  email: 'alex@example.com',
  country: 'US',
  city: 'San Francisco',
  language: 'en',
  treatment_interest: 'implants',
  notes: null,
  source: 'paid_ads',
  status: 'new',
  agent_id: '4315bd15-3bcf-4685-9430-09afc83e8e5a',
  agent_name: 'Olivia (outbound)',
  external_source: 'clinic_website_form',
  external_id: 'form_987654321',
  external_metadata: { campaign: 'spring_implants' },
  created_at: '2026-05-14T11:58:00.000Z',
  updated_at: '2026-05-14T11:58:00.000Z',
  url: 'https://www.qualifybase.com/dashboard/leads/c3e8a1d4-7b2f-4e6a-9c1d-5f8e2a4b6c7d',
};

export const sampleAgent: Agent = {
  id: '4315bd15-3bcf-4685-9430-09afc83e8e5a',
  name: 'Olivia (outbound)',
  direction: 'outbound',
  created_at: '2026-05-01T09:00:00.000Z',
};

export const sampleSlot: Slot = {
  scheduled_at: '2026-05-15T11:00:00.000Z',
  ends_at: '2026-05-15T11:30:00.000Z',
};

export const sampleAppointment: Appointment = {
  id: '2b7c9f2a-4d1e-4b8a-9f3c-6e5d4c3b2a19',
  lead_id: 'c3e8a1d4-7b2f-4e6a-9c1d-5f8e2a4b6c7d',
  lead_full_name: 'Alex Smith',
  lead_first_name: 'Alex',
  lead_last_name: 'Smith',
  lead_phone: '+14155551212',
  lead_email: 'alex@example.com',
  assigned_to: '4315bd15-3bcf-4685-9430-09afc83e8e5a',
  assigned_to_name: 'Olivia (outbound)',
  status: 'confirmed',
  scheduled_at: '2026-05-15T11:00:00.000Z',
  ends_at: '2026-05-15T11:30:00.000Z',
  title: 'Consultation',
  notes: null,
  created_at: '2026-05-14T12:00:00.000Z',
  updated_at: '2026-05-14T12:00:00.000Z',
  cancelled_at: null,
  url: 'https://www.qualifybase.com/dashboard/appointments/2b7c9f2a-4d1e-4b8a-9f3c-6e5d4c3b2a19',
};

export const sampleCancelledAppointment: Appointment = {
  ...sampleAppointment,
  status: 'cancelled',
  updated_at: '2026-05-14T15:30:00.000Z',
  cancelled_at: '2026-05-14T15:30:00.000Z',
};

export const sampleCampaign: Campaign = {
  id: '8a0b71f5-2f1d-4a30-a6d5-14fb4d9d9f17',
  name: 'Spring implants follow-up',
  status: 'active',
  agent_id: '4315bd15-3bcf-4685-9430-09afc83e8e5a',
  agent_name: 'Olivia (outbound)',
  target_country: 'US',
  total_contacts: 42,
  created_at: '2026-05-01T09:00:00.000Z',
};

export const sampleContact: CampaignContact = {
  id: '9d3e2f1a-6b5c-4d7e-8f90-a1b2c3d4e5f6',
  campaign_id: '8a0b71f5-2f1d-4a30-a6d5-14fb4d9d9f17',
  campaign_name: 'Spring implants follow-up',
  name: 'Alex Smith',
  first_name: 'Alex',
  last_name: 'Smith',
  phone: '+14155551212',
  interest: 'implants',
  city: 'San Francisco',
  country: 'US',
  email: 'alex@example.com',
  language: 'en',
  notes: null,
  status: 'qualified',
  validation_status: 'valid',
  validation_messages: [],
  attempts: 1,
  last_attempt_at: '2026-05-14T12:00:00.000Z',
  created_at: '2026-05-14T11:00:00.000Z',
  updated_at: '2026-05-14T12:00:00.000Z',
  url: 'https://www.qualifybase.com/dashboard/contacts/9d3e2f1a-6b5c-4d7e-8f90-a1b2c3d4e5f6',
};

export const sampleBlock: CalendarBlock = {
  id: '1f2e3d4c-5b6a-4789-8a9b-0c1d2e3f4a5b',
  external_source: 'google_calendar',
  external_id: 'evt_abc123',
  starts_at: '2026-05-15T11:00:00.000Z',
  ends_at: '2026-05-15T11:30:00.000Z',
  title: 'External consultation',
  created_at: '2026-05-14T12:00:00.000Z',
  updated_at: '2026-05-14T12:00:00.000Z',
};

export const sampleWebhookCreated: WebhookCreated = {
  id: '7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928',
  url: 'https://hooks.zapier.com/hooks/standard/123456/abcdef/',
  events: ['appointment.created'],
  status: 'active',
  disabled_reason: null,
  created_at: '2026-05-14T12:00:00.000Z',
  signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
};

export const sampleEvent: EventEnvelope = {
  id: 'evt_5b1f0c2d3e4f5a6b7c8d9e0f',
  type: 'appointment.created',
  created: '2026-05-14T12:00:00.000Z',
  data: { appointment: sampleAppointment },
};

/** An appointment.updated delivery: the appointment was moved one hour later. */
export const sampleAppointmentUpdatedEvent: EventEnvelope = {
  id: 'evt_6c2a1d3e4f5b6a7c8d9e0f1a',
  type: 'appointment.updated',
  created: '2026-05-14T13:00:00.000Z',
  data: {
    appointment: {
      ...sampleAppointment,
      scheduled_at: '2026-05-15T12:00:00.000Z',
      ends_at: '2026-05-15T12:30:00.000Z',
      updated_at: '2026-05-14T13:00:00.000Z',
    },
    previous_attributes: { scheduled_at: sampleAppointment.scheduled_at, ends_at: sampleAppointment.ends_at },
  },
};

/** A lead.updated delivery: the lead's booking made it `booked`. */
export const sampleLeadUpdatedEvent: EventEnvelope = {
  id: 'evt_7d3b2e4f5a6c7b8d9e0f1a2b',
  type: 'lead.updated',
  created: '2026-05-14T12:00:00.000Z',
  data: {
    lead: { ...sampleLead, status: 'booked', updated_at: '2026-05-14T12:00:00.000Z' },
    previous_attributes: { status: sampleLead.status },
  },
};

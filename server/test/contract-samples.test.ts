/**
 * Every sample of contract/samples.ts is its schema's object exactly (nothing missing, nothing the
 * schema would drop), the update events carry previous_attributes of their own object, and no
 * sample names another product.
 */
import type { z } from 'zod';
import * as contract from '../../contract';
import * as samples from '../../contract/samples';

const SCHEMAS: Record<keyof typeof samples, z.ZodType> = {
  sampleMe: contract.Me,
  sampleLead: contract.Lead,
  sampleAgent: contract.Agent,
  sampleSlot: contract.Slot,
  sampleAppointment: contract.Appointment,
  sampleCancelledAppointment: contract.Appointment,
  sampleCampaign: contract.Campaign,
  sampleContact: contract.CampaignContact,
  sampleBlock: contract.CalendarBlock,
  sampleWebhookCreated: contract.WebhookCreated,
  sampleEvent: contract.EventEnvelope,
  sampleAppointmentUpdatedEvent: contract.EventEnvelope,
  sampleLeadUpdatedEvent: contract.EventEnvelope,
};

describe('contract samples', () => {
  it.each(Object.entries(samples))('%s is exactly an object of its schema', (name, sample) => {
    const schema = SCHEMAS[name as keyof typeof samples];
    expect(schema).toBeDefined();
    expect(schema.parse(sample)).toEqual(sample);
  });

  it.each([
    ['sampleAppointmentUpdatedEvent', samples.sampleAppointmentUpdatedEvent, contract.AppointmentPreviousAttributes],
    ['sampleLeadUpdatedEvent', samples.sampleLeadUpdatedEvent, contract.LeadPreviousAttributes],
  ] as const)('%s carries previous_attributes of its object, each value differing from the new one', (_name, { data }, schema) => {
    const object = (data.appointment ?? data.lead) as Record<string, unknown>;
    const previous = schema.parse(data.previous_attributes) as Record<string, unknown>;
    expect(Object.keys(previous).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(previous)) expect(object[key]).not.toEqual(value);
  });

  it('names no other product', () => {
    const text = JSON.stringify(samples).toLowerCase();
    for (const product of ['make', 'zapier_', 'facebook', 'hubspot', 'salesforce', 'typeform', 'calendly']) {
      expect({ product, found: new RegExp(`\\b${product}`).test(text) }).toEqual({ product, found: false });
    }
  });
});

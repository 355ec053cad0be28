/** Webhook events, subscriptions, deliveries and the delivery envelope. */
import { z } from 'zod';
import { Timestamp, Uuid } from './common';
import { Appointment, CampaignContact, Lead } from './resources';

export const EVENT_TYPES = [
  'appointment.created',
  'appointment.updated',
  'appointment.cancelled',
  'campaign.contact.qualified',
  'campaign.contact.not_interested',
  'campaign.contact.exhausted',
  'campaign.contact.callback_requested',
  'lead.created',
  'lead.updated',
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

/** Which key of `data` carries the object for an event type. */
export type EventDataKey = 'appointment' | 'contact' | 'lead';
export function eventDataKey(type: EventType): EventDataKey {
  if (type.startsWith('appointment.')) return 'appointment';
  if (type.startsWith('campaign.contact.')) return 'contact';
  return 'lead';
}

export const EventEnvelope = z
  .object({
    id: z.string().regex(/^evt_/).meta({ title: 'Event ID' }),
    type: EventType,
    created: Timestamp,
    data: z.object({
      appointment: Appointment.optional(),
      contact: CampaignContact.optional(),
      lead: Lead.optional(),
    }),
  })
  .meta({ id: 'WebhookEvent' });
export type EventEnvelope = z.infer<typeof EventEnvelope>;

export const WebhookStatus = z.enum(['active', 'disabled']);
export const Webhook = z
  .object({
    id: Uuid,
    url: z.string(),
    events: z.array(EventType),
    status: WebhookStatus,
    disabled_reason: z.string().nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof Webhook>;

/** Only the create response carries the signing secret. */
export const WebhookCreated = Webhook.extend({
  signingSecret: z
    .string()
    .regex(/^whsec_/)
    .meta({ description: 'Standard Webhooks secret, shown once.' }),
}).meta({ id: 'WebhookCreated' });
export type WebhookCreated = z.infer<typeof WebhookCreated>;

export const DeliveryAttempt = z
  .object({
    attempted_at: Timestamp,
    response_status: z.number().int().nullable(),
    latency_ms: z.number().int(),
    error: z.string().nullable(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const DeliveryStatus = z.enum(['pending', 'succeeded', 'failed']);
export const WebhookDelivery = z
  .object({
    id: z.string().meta({ description: 'Delivery id, sent as webhook-id; stable across retries.' }),
    webhook_id: Uuid,
    event_id: z.string(),
    event_type: EventType,
    status: DeliveryStatus,
    attempts: z.array(DeliveryAttempt),
    next_attempt_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

/** Webhook events, subscriptions, deliveries and the delivery envelope. */
import { z } from 'zod';
import { Timestamp, Uuid } from './common';
import { Appointment, CampaignContact, Lead } from './resources';
import { EVENT_TYPES, type EventDataKey, eventDataKey } from './values';

export { EVENT_TYPES, type EventDataKey, eventDataKey };

export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

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

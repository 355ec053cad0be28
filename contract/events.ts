/** Webhook events, subscriptions, deliveries and the delivery envelope. */
import { z } from 'zod';
import { Timestamp, Uuid } from './common';
import { Appointment, CampaignContact, Lead } from './resources';
import { EVENT_TYPES, type EventDataKey, eventDataKey } from './values';

export { EVENT_TYPES, type EventDataKey, eventDataKey };

export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

const PREVIOUS_ATTRIBUTES =
  "What changed: exactly the object's fields whose value this change altered, each with its value before the change (Stripe's `previous_attributes`). `updated_at`, which moves with every change, is not listed; a change that alters nothing records no event.";

/** `data.previous_attributes` of an appointment.updated event. */
export const AppointmentPreviousAttributes = Appointment.partial().strict().meta({
  id: 'AppointmentPreviousAttributes',
  description: PREVIOUS_ATTRIBUTES,
});
/** `data.previous_attributes` of a lead.updated event. */
export const LeadPreviousAttributes = Lead.partial().strict().meta({ id: 'LeadPreviousAttributes', description: PREVIOUS_ATTRIBUTES });

/** The event types whose `data` carries `previous_attributes`. */
export const UPDATE_EVENT_TYPES = ['appointment.updated', 'lead.updated'] as const satisfies readonly EventType[];

export const EventEnvelope = z
  .object({
    id: z.string().regex(/^evt_/).meta({ title: 'Event ID' }),
    type: EventType,
    created: Timestamp,
    data: z.object({
      appointment: Appointment.optional(),
      contact: CampaignContact.optional(),
      lead: Lead.optional(),
      /** Only on appointment.updated and lead.updated, and always there. */
      previous_attributes: z
        .union([AppointmentPreviousAttributes, LeadPreviousAttributes])
        .optional()
        .meta({ description: `Only on appointment.updated and lead.updated (always there). ${PREVIOUS_ATTRIBUTES}` }),
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

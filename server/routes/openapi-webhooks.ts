/**
 * The OpenAPI `webhooks` section: one entry per event type of contract/events.ts, with the body a
 * delivery carries (the event envelope, `type` fixed, `data` holding that event's object) and
 * the signature headers, so a client generator or Postman shows what arrives at a subscribed URL.
 */
import { z } from 'zod';
import {
  AppointmentPreviousAttributes,
  EVENT_TYPES,
  EventEnvelope,
  eventDataKey,
  LeadPreviousAttributes,
  sampleAppointmentUpdatedEvent,
  sampleEvent,
  sampleLeadUpdatedEvent,
  type EventEnvelope as Envelope,
  type EventType,
} from '../../contract';
import type { ApiApp } from '../http/api-app';

export const EVENTS_TAG = 'Events';

/** When each event is sent; a new event type fails `tsc` here until it is described. */
const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  'appointment.created': 'An appointment was booked (by the AI agent, the dashboard or the API).',
  'appointment.updated':
    'An appointment changed: rescheduled, reassigned, its title or notes edited, or its status set (confirmed, completed, no-show). `data.previous_attributes` holds the fields that changed with their previous values (a reschedule: `scheduled_at` and `ends_at`; a status change: `status`).',
  'appointment.cancelled': 'An appointment was cancelled.',
  'campaign.contact.qualified': "The AI agent's call qualified a campaign contact.",
  'campaign.contact.not_interested': 'A campaign contact told the AI agent they are not interested.',
  'campaign.contact.exhausted': 'The AI agent used up every call attempt for a campaign contact without reaching them.',
  'campaign.contact.callback_requested': 'A campaign contact asked the AI agent to call back later.',
  'lead.created': 'A lead was created.',
  'lead.updated':
    'A lead changed: with PATCH /leads/{id}, with POST /leads on an existing external_source + external_id, or by a booking that made it booked. `data.previous_attributes` holds the fields that changed with their previous values (a booking: `status`).',
};

const SIGNATURE_FORMAT =
  '`v1,` then the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed with the base64-decoded signing secret (the part after `whsec_`). Any Standard Webhooks library verifies it.';

function deliveryHeaders(type: EventType) {
  const header = (name: string, description: string, example: string) => ({
    name,
    in: 'header' as const,
    required: true,
    description,
    schema: { type: 'string' as const },
    example,
  });
  const id = 'msg_2f1c9a7e4b8d4c0e9a6b3d5f7e1c2a4b';
  const timestamp = '1778842800';
  const signature = 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=';
  return [
    header('webhook-id', 'The delivery id, the same on every retry of this delivery: use it to drop duplicates.', id),
    header('webhook-timestamp', 'When this attempt was signed, in Unix seconds: refuse old ones to stop replays.', timestamp),
    header('webhook-signature', SIGNATURE_FORMAT, signature),
    header('X-QualifyBase-Delivery', 'The same value as `webhook-id`.', id),
    header('X-QualifyBase-Timestamp', 'The same value as `webhook-timestamp`.', timestamp),
    header('X-QualifyBase-Signature', 'The same value as `webhook-signature`.', signature),
    header('X-QualifyBase-Event', "The event type, as in the body's `type`.", type),
  ];
}

/** `appointment.created` -> `AppointmentCreatedEvent`. */
function componentName(type: EventType): string {
  return `${type
    .split(/[._]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')}Event`;
}

/** What changed, for the update events (absent from the others). */
const PREVIOUS_ATTRIBUTES: Partial<Record<EventType, z.ZodType>> = {
  'appointment.updated': AppointmentPreviousAttributes,
  'lead.updated': LeadPreviousAttributes,
};

/** The contract's sample deliveries, shown as examples. */
const EXAMPLES: Partial<Record<EventType, Envelope>> = {
  'appointment.created': sampleEvent,
  'appointment.updated': sampleAppointmentUpdatedEvent,
  'lead.updated': sampleLeadUpdatedEvent,
};

/** The envelope of one event type: `type` is that type and `data` carries only its object (and what changed). */
function payloadOf(type: EventType) {
  const key = eventDataKey(type);
  const object = EventEnvelope.shape.data.shape[key].unwrap();
  const previous = PREVIOUS_ATTRIBUTES[type];
  return EventEnvelope.extend({
    type: z.literal(type),
    data: z.object({ [key]: object, ...(previous ? { previous_attributes: previous } : {}) }),
  }).meta({ id: componentName(type), description: `The body of a \`${type}\` delivery.` });
}

export function registerEventWebhooks(app: ApiApp): void {
  for (const type of EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: type,
      operationId: `${type.replace(/[._](\w)/g, (_, c: string) => c.toUpperCase())}Event`,
      summary: `${type} event`,
      description: `${EVENT_DESCRIPTIONS[type]} QualifyBase POSTs this to every active subscription of the clinic that lists \`${type}\`. The body is signed: check \`webhook-signature\` before trusting it.`,
      tags: [EVENTS_TAG],
      security: [],
      parameters: deliveryHeaders(type),
      request: {
        body: {
          required: true,
          content: { 'application/json': { schema: payloadOf(type), ...(EXAMPLES[type] ? { example: EXAMPLES[type] } : {}) } },
        },
      },
      responses: {
        200: { description: 'Any 2xx status acknowledges the delivery; the response body is ignored.' },
        410: { description: 'Gone: the subscription is deleted and none of its deliveries is attempted again.' },
        default: {
          description:
            'Any other status, a redirect or no answer in time: the delivery is retried with backoff for about three days (429 and 503 honour Retry-After), after which a subscription still failing is disabled.',
        },
      },
    });
  }
}

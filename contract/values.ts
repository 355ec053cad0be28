/**
 * The contract's enum values, as plain constants: the zod schemas (resources.ts, events.ts) are
 * built from them and re-export them, and the Zapier app imports them from here, so loading the
 * app does not load zod (its output fields come from the schemas at build time, see
 * lib/output-fields.generated.ts).
 */

export const LEAD_SOURCES = ['website', 'instagram', 'whatsapp', 'facebook', 'tiktok', 'referral', 'email', 'paid_ads', 'other'] as const;

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'booked', 'not_interested', 'lost'] as const;

export const APPOINTMENT_STATUSES = ['confirmed', 'completed', 'no_show', 'cancelled'] as const;

export const CONTACT_STATUSES = ['pending', 'qualified', 'not_interested', 'exhausted', 'callback_requested'] as const;
/** The outcomes the AI agent's call can end in (each fires a campaign.contact.<outcome> event). */
export const CONTACT_OUTCOMES = ['qualified', 'not_interested', 'exhausted', 'callback_requested'] as const;

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

/** Which key of `data` carries the object for an event type. */
export type EventDataKey = 'appointment' | 'contact' | 'lead';
export function eventDataKey(type: (typeof EVENT_TYPES)[number]): EventDataKey {
  if (type.startsWith('appointment.')) return 'appointment';
  if (type.startsWith('campaign.contact.')) return 'contact';
  return 'lead';
}

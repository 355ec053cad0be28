/** Database rows -> the contract's resources, exactly as the API returns them. */
import type { Agent, Appointment, CalendarBlock, Campaign, CampaignContact, Lead, Webhook } from '../../contract';
import type { AgentRow, AppointmentRow, CalendarBlockRow, CampaignContactRow, CampaignRow, LeadRow, WebhookRow } from '../db/schema';

/** ISO 8601 UTC with milliseconds. */
export const iso = (d: Date | string): string => new Date(d).toISOString();
export const isoOrNull = (d: Date | string | null): string | null => (d === null ? null : iso(d));

export function toLead(r: LeadRow): Lead {
  return {
    id: r.id,
    full_name: r.full_name,
    phone: r.phone,
    email: r.email,
    country: r.country,
    city: r.city,
    language: r.language,
    treatment_interest: r.treatment_interest,
    notes: r.notes,
    source: r.source as Lead['source'],
    status: r.status as Lead['status'],
    agent_id: r.agent_id,
    external_source: r.external_source,
    external_id: r.external_id,
    external_metadata: r.external_metadata ?? null,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

export function toAgent(r: AgentRow): Agent {
  return { id: r.id, name: r.name, direction: r.direction, created_at: iso(r.created_at) };
}

/** The lead's contact details an appointment is selected with (services/appointments.ts). */
export type LeadContact = Pick<LeadRow, 'full_name' | 'phone' | 'email'>;

export function toAppointment(r: AppointmentRow & { lead: LeadContact | null }): Appointment {
  return {
    id: r.id,
    lead_id: r.lead_id,
    lead_full_name: r.lead?.full_name ?? null,
    lead_phone: r.lead?.phone ?? null,
    lead_email: r.lead?.email ?? null,
    assigned_to: r.assigned_to,
    status: r.status as Appointment['status'],
    scheduled_at: iso(r.scheduled_at),
    ends_at: iso(r.ends_at),
    title: r.title,
    notes: r.notes,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    cancelled_at: isoOrNull(r.cancelled_at),
  };
}

export function toCampaign(r: CampaignRow & { total_contacts: number | string }): Campaign {
  return {
    id: r.id,
    name: r.name,
    status: r.status as Campaign['status'],
    agent_id: r.agent_id,
    target_country: r.target_country,
    total_contacts: Number(r.total_contacts),
    created_at: iso(r.created_at),
  };
}

export function toContact(r: CampaignContactRow): CampaignContact {
  return {
    id: r.id,
    campaign_id: r.campaign_id,
    name: r.name,
    phone: r.phone,
    interest: r.interest,
    city: r.city,
    country: r.country,
    email: r.email,
    language: r.language,
    notes: r.notes,
    status: r.status as CampaignContact['status'],
    validation_status: r.validation_status as CampaignContact['validation_status'],
    validation_messages: r.validation_messages ?? [],
    attempts: r.attempts,
    last_attempt_at: isoOrNull(r.last_attempt_at),
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

export function toBlock(r: CalendarBlockRow): CalendarBlock {
  return {
    id: r.id,
    external_source: r.external_source,
    external_id: r.external_id,
    starts_at: iso(r.starts_at),
    ends_at: iso(r.ends_at),
    title: r.title,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

export function toWebhook(r: WebhookRow): Webhook {
  return {
    id: r.id,
    url: r.url,
    events: r.events as Webhook['events'],
    status: r.status as Webhook['status'],
    disabled_reason: r.disabled_reason,
    created_at: iso(r.created_at),
  };
}

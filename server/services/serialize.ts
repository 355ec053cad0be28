/** Database rows -> the contract's resources, exactly as the API returns them. */
import type { Agent, Appointment, CalendarBlock, Campaign, CampaignContact, Lead, Webhook } from '../../contract';
import type { AgentRow, AppointmentRow, CalendarBlockRow, CampaignContactRow, CampaignRow, LeadRow, WebhookRow } from '../db/schema';

/**
 * Where the dashboard shows a record: `url` of leads, appointments and contacts is
 * `<publicUrl>/dashboard/<leads|appointments|contacts>/<id>`. The server's configuration
 * (QB_PUBLIC_URL) is passed as this, and read when a record is serialized.
 */
export interface RecordLinks {
  readonly publicUrl: string;
}

export const recordUrl = (links: RecordLinks, kind: 'leads' | 'appointments' | 'contacts', id: string): string =>
  `${links.publicUrl}/dashboard/${kind}/${id}`;

/** What separates the words of a name: ASCII white space only (migration 008's SQL splits the same way). */
const SPACES = /[ \t\n\r\f\v]+/;
const EDGE_SPACES = /^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g;

/** A full name as first name (its first word) and last name (the rest; null for one word); both null for no name. */
export function splitName(fullName: string | null): { first: string | null; last: string | null } {
  const name = fullName?.replace(EDGE_SPACES, '') ?? '';
  if (name === '') return { first: null, last: null };
  const gap = SPACES.exec(name);
  if (!gap) return { first: name, last: null };
  return { first: name.slice(0, gap.index), last: name.slice(gap.index + gap[0].length) };
}

/** ISO 8601 UTC with milliseconds. */
export const iso = (d: Date | string): string => new Date(d).toISOString();

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** isoAt's arithmetic covers these instants (years 1970-9999); others go through Date. */
const ISO_FROM = 0;
const ISO_TO = Date.UTC(10_000, 0, 1);

/**
 * An epoch-ms instant as `iso` writes it (Date's toISOString), by integer arithmetic for years
 * 1970-9999: about half the cost of a Date and its toISOString, which was a third of the slot
 * search's own CPU in GET /availability, ten strings for five slots (issue 20, round 12). The date
 * is the proleptic Gregorian day count's civil date (H. Hinnant's days_from_civil, inverted).
 */
export function isoAt(ms: number): string {
  if (!(ms >= ISO_FROM && ms < ISO_TO) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  const z = days + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  let rest = ms - days * DAY_MS;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  return `${year}-${PAD2[month]}-${PAD2[day]}T${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}.${PAD3[milli]}Z`;
}
export const isoOrNull = (d: Date | string | null): string | null => (d === null ? null : iso(d));

/** A lead row with its agent's name (a correlated subquery, services/leads.ts). */
export type LeadWithAgent = LeadRow & { agent_name: string | null };

export function toLead(r: LeadWithAgent, links: RecordLinks): Lead {
  const name = splitName(r.full_name);
  return {
    id: r.id,
    full_name: r.full_name,
    first_name: name.first,
    last_name: name.last,
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
    agent_name: r.agent_name,
    external_source: r.external_source,
    external_id: r.external_id,
    external_metadata: r.external_metadata ?? null,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    url: recordUrl(links, 'leads', r.id),
  };
}

export function toAgent(r: AgentRow): Agent {
  return { id: r.id, name: r.name, direction: r.direction, created_at: iso(r.created_at) };
}

/** The lead's contact details an appointment is selected with (services/appointments.ts). */
export type LeadContact = Pick<LeadRow, 'full_name' | 'phone' | 'email'>;

/** An appointment row with its lead's contact details and its agent's name (correlated subqueries). */
export type AppointmentWithNames = AppointmentRow & { lead: LeadContact | null; assigned_to_name: string | null };

export function toAppointment(r: AppointmentWithNames, links: RecordLinks): Appointment {
  const leadName = splitName(r.lead?.full_name ?? null);
  return {
    id: r.id,
    lead_id: r.lead_id,
    lead_full_name: r.lead?.full_name ?? null,
    lead_first_name: leadName.first,
    lead_last_name: leadName.last,
    lead_phone: r.lead?.phone ?? null,
    lead_email: r.lead?.email ?? null,
    assigned_to: r.assigned_to,
    assigned_to_name: r.assigned_to_name,
    status: r.status as Appointment['status'],
    scheduled_at: iso(r.scheduled_at),
    ends_at: iso(r.ends_at),
    title: r.title,
    notes: r.notes,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    cancelled_at: isoOrNull(r.cancelled_at),
    url: recordUrl(links, 'appointments', r.id),
  };
}

export function toCampaign(r: CampaignRow & { agent_name: string | null; total_contacts: number | string }): Campaign {
  return {
    id: r.id,
    name: r.name,
    status: r.status as Campaign['status'],
    agent_id: r.agent_id,
    agent_name: r.agent_name,
    target_country: r.target_country,
    total_contacts: Number(r.total_contacts),
    created_at: iso(r.created_at),
  };
}

/** A contact row with its campaign's name (a correlated subquery, services/campaigns.ts). */
export type ContactWithCampaign = CampaignContactRow & { campaign_name: string };

export function toContact(r: ContactWithCampaign, links: RecordLinks): CampaignContact {
  const name = splitName(r.name);
  return {
    id: r.id,
    campaign_id: r.campaign_id,
    campaign_name: r.campaign_name,
    name: r.name,
    first_name: name.first,
    last_name: name.last,
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
    url: recordUrl(links, 'contacts', r.id),
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

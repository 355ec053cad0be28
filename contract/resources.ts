/**
 * The resources the API returns, exactly as a GET returns them. Each property's `title` is the
 * label the Zapier app shows for it (outputFields), so labels live with the schema.
 */
import { z } from 'zod';
import { Scope, Timestamp, Uuid } from './common';
import { APPOINTMENT_STATUSES, CONTACT_OUTCOMES, CONTACT_STATUSES, LEAD_SOURCES, LEAD_STATUSES } from './values';

export { APPOINTMENT_STATUSES, CONTACT_OUTCOMES, CONTACT_STATUSES, LEAD_SOURCES, LEAD_STATUSES };

const t = (title: string, description?: string) => (description ? { title, description } : { title });

export const Clinic = z
  .object({
    id: Uuid.meta(t('Clinic ID')),
    name: z.string().meta(t('Clinic Name')),
    timezone: z.string().meta(t('Clinic Time Zone', 'IANA time zone, e.g. America/New_York.')),
  })
  .meta({ id: 'Clinic' });

export const ApiKeyInfo = z
  .object({
    id: Uuid.meta(t('API Key ID')),
    name: z.string().meta(t('API Key Name')),
    prefix: z.string().meta(t('API Key Prefix', 'The first characters of the key, safe to display.')),
    scopes: z.array(Scope).meta(t('Scopes')),
    created_at: Timestamp.meta(t('Created At')),
    last_used_at: Timestamp.nullable().meta(t('Last Used At')),
  })
  .meta({ id: 'ApiKeyInfo' });

export const Me = z.object({ clinic: Clinic, api_key: ApiKeyInfo }).meta({ id: 'Me' });
export type Me = z.infer<typeof Me>;

/**
 * A record's page in the QualifyBase dashboard: `<QB_PUBLIC_URL>/dashboard/<leads|appointments|contacts>/<id>`
 * (additive, so a Zap can link to what it acted on).
 */
const DashboardUrl = z.url({ protocol: /^https?$/ });

export const LeadSource = z.enum(LEAD_SOURCES);

export const LeadStatus = z.enum(LEAD_STATUSES);

export const Lead = z
  .object({
    id: Uuid.meta(t('Lead ID')),
    full_name: z.string().nullable().meta(t('Full Name')),
    // Additive: the full name split at its first space (null when full_name is null).
    first_name: z.string().nullable().meta(t('First Name', 'The first word of the full name.')),
    last_name: z.string().nullable().meta(t('Last Name', 'The full name after its first word; null for a one-word name.')),
    phone: z.string().nullable().meta(t('Phone')),
    email: z.string().nullable().meta(t('Email')),
    country: z.string().nullable().meta(t('Country')),
    city: z.string().nullable().meta(t('City')),
    language: z.string().nullable().meta(t('Language')),
    treatment_interest: z.string().nullable().meta(t('Treatment Interest')),
    notes: z.string().nullable().meta(t('Notes')),
    source: LeadSource.nullable().meta(t('Source')),
    status: LeadStatus.meta(t('Status')),
    agent_id: Uuid.nullable().meta(t('Agent ID', 'The outbound agent the lead is pinned to.')),
    agent_name: z.string().nullable().meta(t('Agent Name')),
    external_source: z.string().nullable().meta(t('External Source')),
    external_id: z.string().nullable().meta(t('External ID')),
    external_metadata: z.record(z.string(), z.unknown()).nullable().meta(t('External Metadata')),
    created_at: Timestamp.meta(t('Created At')),
    updated_at: Timestamp.meta(t('Updated At')),
    url: DashboardUrl.meta(t('Lead URL', 'The lead in the QualifyBase dashboard.')),
  })
  .meta({ id: 'Lead' });
export type Lead = z.infer<typeof Lead>;

export const AgentDirection = z.enum(['inbound', 'outbound']);
export const Agent = z
  .object({
    id: Uuid.meta(t('Agent ID')),
    name: z.string().meta(t('Agent Name')),
    direction: AgentDirection.meta(t('Direction')),
    created_at: Timestamp.meta(t('Created At')),
  })
  .meta({ id: 'Agent' });
export type Agent = z.infer<typeof Agent>;

/** An open slot; it can be posted as-is to POST /appointments. */
export const Slot = z
  .object({
    scheduled_at: Timestamp.meta(t('Starts At')),
    ends_at: Timestamp.meta(t('Ends At')),
  })
  .meta({ id: 'Slot' });
export type Slot = z.infer<typeof Slot>;

export const AppointmentStatus = z.enum(APPOINTMENT_STATUSES);

export const Appointment = z
  .object({
    id: Uuid.meta(t('Appointment ID')),
    lead_id: Uuid.meta(t('Lead ID')),
    // The lead's contact details (additive to the seed's shape), so a Zap such as "New
    // Appointment -> text the patient" needs no lookup step. As the lead is when the appointment
    // is returned or its event recorded.
    lead_full_name: z.string().nullable().meta(t('Lead Full Name', "The lead's full name.")),
    lead_first_name: z.string().nullable().meta(t('Lead First Name', "The first word of the lead's full name.")),
    lead_last_name: z.string().nullable().meta(t('Lead Last Name', "The lead's full name after its first word.")),
    lead_phone: z.string().nullable().meta(t('Lead Phone', "The lead's phone number (E.164).")),
    lead_email: z.string().nullable().meta(t('Lead Email', "The lead's email address.")),
    assigned_to: Uuid.nullable().meta(t('Assigned Agent ID')),
    assigned_to_name: z.string().nullable().meta(t('Assigned Agent Name')),
    status: AppointmentStatus.meta(t('Status')),
    scheduled_at: Timestamp.meta(t('Scheduled At')),
    ends_at: Timestamp.meta(t('Ends At')),
    title: z.string().nullable().meta(t('Title')),
    notes: z.string().nullable().meta(t('Notes')),
    created_at: Timestamp.meta(t('Created At')),
    updated_at: Timestamp.meta(t('Updated At')),
    cancelled_at: Timestamp.nullable().meta(t('Cancelled At')),
    url: DashboardUrl.meta(t('Appointment URL', 'The appointment in the QualifyBase dashboard.')),
  })
  .meta({ id: 'Appointment' });
export type Appointment = z.infer<typeof Appointment>;

export const CampaignStatus = z.enum(['active', 'paused', 'completed']);
export const Campaign = z
  .object({
    id: Uuid.meta(t('Campaign ID')),
    name: z.string().meta(t('Campaign Name')),
    status: CampaignStatus.meta(t('Status')),
    agent_id: Uuid.nullable().meta(t('Agent ID')),
    agent_name: z.string().nullable().meta(t('Agent Name')),
    target_country: z.string().nullable().meta(t('Target Country')),
    total_contacts: z.number().int().meta(t('Total Contacts')),
    created_at: Timestamp.meta(t('Created At')),
  })
  .meta({ id: 'Campaign' });
export type Campaign = z.infer<typeof Campaign>;

export const ContactStatus = z.enum(CONTACT_STATUSES);
export const ContactOutcome = z.enum(CONTACT_OUTCOMES);

export const CampaignContact = z
  .object({
    id: Uuid.meta(t('Contact ID')),
    campaign_id: Uuid.meta(t('Campaign ID')),
    campaign_name: z.string().meta(t('Campaign Name')),
    name: z.string().meta(t('Name')),
    first_name: z.string().nullable().meta(t('First Name', 'The first word of the name.')),
    last_name: z.string().nullable().meta(t('Last Name', 'The name after its first word; null for a one-word name.')),
    phone: z.string().meta(t('Phone')),
    interest: z.string().meta(t('Interest')),
    city: z.string().meta(t('City')),
    country: z.string().nullable().meta(t('Country')),
    email: z.string().nullable().meta(t('Email')),
    language: z.string().nullable().meta(t('Language')),
    notes: z.string().nullable().meta(t('Notes')),
    status: ContactStatus.meta(t('Status')),
    validation_status: z
      .enum(['valid', 'needs_review'])
      .meta(t('Validation Status', 'needs_review when the contact does not match the campaign (e.g. its country).')),
    validation_messages: z.array(z.string()).meta(t('Validation Messages')),
    attempts: z.number().int().meta(t('Call Attempts')),
    last_attempt_at: Timestamp.nullable().meta(t('Last Attempt At')),
    created_at: Timestamp.meta(t('Created At')),
    updated_at: Timestamp.meta(t('Updated At')),
    url: DashboardUrl.meta(t('Contact URL', 'The contact in the QualifyBase dashboard.')),
  })
  .meta({ id: 'CampaignContact' });
export type CampaignContact = z.infer<typeof CampaignContact>;

export const CalendarBlock = z
  .object({
    id: Uuid.meta(t('Block ID')),
    external_source: z.string().meta(t('External Source')),
    external_id: z.string().meta(t('External ID')),
    starts_at: Timestamp.meta(t('Starts At')),
    ends_at: Timestamp.meta(t('Ends At')),
    title: z.string().nullable().meta(t('Title')),
    created_at: Timestamp.meta(t('Created At')),
    updated_at: Timestamp.meta(t('Updated At')),
  })
  .meta({ id: 'CalendarBlock' });
export type CalendarBlock = z.infer<typeof CalendarBlock>;

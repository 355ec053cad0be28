/** Request bodies and query strings. The server validates with these; the OpenAPI document shows them. */
import { z } from 'zod';
import { CountryCode, CursorPaginationQuery, DateOrInstant, E164Phone, Email, InstantInput, PaginationQuery, Scope, Uuid } from './common';
import { AppointmentStatus, ContactStatus, ContactOutcome, LeadSource, LeadStatus, AgentDirection } from './resources';
import { EventType } from './events';

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) => text(max).nullish();

/** external_metadata is capped at 4 KB of JSON, nested at most 10 levels deep. */
export const EXTERNAL_METADATA_MAX_BYTES = 4096;
export const EXTERNAL_METADATA_MAX_DEPTH = 10;

/**
 * Whether a parsed JSON value nests objects/arrays at most `max` levels deep. Iterative, and it
 * stops at the first level too deep, so a hostile 5,000-deep value costs nothing and never
 * reaches the recursive JSON.stringify (whose stack it would overflow).
 */
export function jsonDepthWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [node, depth] = top;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return false;
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return true;
}

const ExternalMetadata = z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
  if (!jsonDepthWithin(v, EXTERNAL_METADATA_MAX_DEPTH)) {
    ctx.addIssue({ code: 'custom', message: `must be nested at most ${EXTERNAL_METADATA_MAX_DEPTH} levels deep` });
  } else if (Buffer.byteLength(JSON.stringify(v), 'utf8') > EXTERNAL_METADATA_MAX_BYTES) {
    ctx.addIssue({ code: 'custom', message: `must be at most ${EXTERNAL_METADATA_MAX_BYTES} bytes of JSON` });
  }
});

const leadFields = {
  full_name: optionalText(200),
  phone: E164Phone.nullish(),
  email: Email.nullish(),
  country: CountryCode.nullish(),
  city: optionalText(120),
  language: optionalText(35),
  treatment_interest: optionalText(200),
  notes: optionalText(5000),
  source: LeadSource.nullish(),
  agent_id: Uuid.nullish(),
  external_metadata: ExternalMetadata.nullish(),
};

export const LeadCreate = z
  .object({
    ...leadFields,
    external_source: optionalText(100),
    external_id: optionalText(200),
  })
  .strict()
  .refine((v) => Boolean(v.phone || v.email), { message: 'phone or email is required', path: ['phone'] })
  .refine((v) => Boolean(v.external_source) === Boolean(v.external_id), {
    message: 'external_source and external_id go together',
    path: ['external_id'],
  })
  .meta({ id: 'LeadCreate' });
export type LeadCreate = z.infer<typeof LeadCreate>;

export const LeadUpdate = z
  .object({ ...leadFields, status: LeadStatus.optional() })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
  .meta({ id: 'LeadUpdate' });
export type LeadUpdate = z.infer<typeof LeadUpdate>;

export const LeadListQuery = CursorPaginationQuery.extend({
  search: z.string().trim().min(1).max(200).optional().meta({ description: 'Matches name, phone or email.' }),
  status: LeadStatus.optional(),
  source: LeadSource.optional(),
  agent_id: Uuid.optional(),
  email: z.string().trim().min(1).max(254).optional().meta({ description: 'Exact email (case-insensitive).' }),
  phone: z.string().trim().min(1).max(20).optional().meta({ description: 'Exact phone number.' }),
  external_source: z.string().trim().min(1).max(100).optional(),
  external_id: z.string().trim().min(1).max(200).optional(),
});

export const AgentListQuery = PaginationQuery.extend({ direction: AgentDirection.optional() });

export const SlotPreference = z.enum(['morning', 'afternoon', 'evening', 'any']);
export const AvailabilityQuery = z.object({
  from: DateOrInstant.optional().meta({ description: 'Start of the search (a day in clinic time, or an instant). Default now.' }),
  to: DateOrInstant.optional().meta({ description: 'End of the search (exclusive). Default from + 14 days.' }),
  preference: SlotPreference.default('any').meta({
    description: 'morning 06-12, afternoon 12-17, evening 17-22 clinic time.',
  }),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
export type AvailabilityQuery = z.infer<typeof AvailabilityQuery>;

export const AppointmentCreate = z
  .object({
    lead_id: Uuid,
    scheduled_at: InstantInput,
    ends_at: InstantInput.optional().meta({ description: 'Default scheduled_at + 30 minutes.' }),
    title: optionalText(200),
    notes: optionalText(5000),
    assigned_to: Uuid.nullish(),
  })
  .strict()
  .meta({ id: 'AppointmentCreate' });
export type AppointmentCreate = z.infer<typeof AppointmentCreate>;

export const AppointmentUpdate = z
  .object({
    scheduled_at: InstantInput.optional(),
    ends_at: InstantInput.optional(),
    title: optionalText(200),
    notes: optionalText(5000),
    assigned_to: Uuid.nullish(),
    status: AppointmentStatus.exclude(['cancelled']).optional().meta({
      description: 'confirmed, completed or no_show; cancel with DELETE.',
    }),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
  .meta({ id: 'AppointmentUpdate' });
export type AppointmentUpdate = z.infer<typeof AppointmentUpdate>;

export const AppointmentListQuery = CursorPaginationQuery.extend({
  status: AppointmentStatus.optional(),
  from: DateOrInstant.optional().meta({ description: 'Appointments starting at or after this.' }),
  to: DateOrInstant.optional().meta({ description: 'Appointments starting before this.' }),
  lead_id: Uuid.optional(),
});

export const CampaignListQuery = PaginationQuery;

export const ContactCreate = z
  .object({
    name: text(200),
    phone: E164Phone,
    interest: text(200),
    city: text(120),
    country: CountryCode.nullish(),
    email: Email.nullish(),
    language: optionalText(35),
    notes: optionalText(5000),
  })
  .strict()
  .meta({ id: 'CampaignContactCreate' });
export type ContactCreate = z.infer<typeof ContactCreate>;

export const ContactListQuery = CursorPaginationQuery.extend({
  status: ContactStatus.optional(),
  campaign_id: Uuid.optional(),
});

export const ContactOutcomeBody = z.object({ status: ContactOutcome }).strict();

export const BlockUpsert = z
  .object({
    external_source: text(100),
    external_id: text(200),
    starts_at: InstantInput,
    ends_at: InstantInput,
    title: optionalText(200),
  })
  .strict()
  .refine((v) => Date.parse(v.ends_at) > Date.parse(v.starts_at), {
    message: 'ends_at must be after starts_at',
    path: ['ends_at'],
  })
  .meta({ id: 'CalendarBlockUpsert' });
export type BlockUpsert = z.infer<typeof BlockUpsert>;

export const BlockDeleteQuery = z.object({ external_source: text(100), external_id: text(200) });

export const WebhookCreate = z
  .object({
    url: z.url({ protocol: /^https?$/ }).max(2048),
    events: z.array(EventType).min(1).max(20),
  })
  .strict()
  .meta({ id: 'WebhookCreate' });
export type WebhookCreate = z.infer<typeof WebhookCreate>;

export const WebhookListQuery = PaginationQuery;

export const IdParam = z.object({ id: Uuid });

/** `/campaigns/{id}/contacts/{contact_id}`: a contact of that campaign. */
export const CampaignContactParam = IdParam.extend({ contact_id: Uuid });

export const DevClinicCreate = z
  .object({ name: text(200), timezone: z.string().trim().min(1).max(64).default('America/New_York') })
  .strict();

export const ApiKeyCreate = z.object({ name: text(100), scopes: z.array(Scope).min(1).optional() }).strict();

/** The lead's own fields, as Create Lead and Update Lead ask for them (keys are the API's names). */
import { defineInputFields } from 'zapier-platform-core';

import { canonicalJson } from '../contract/canonical-json';
import { LEAD_SOURCES } from '../contract/values';
import { compact } from './client';
import { agentIdField } from './fields';
import { choicesOf } from './labels';

export const leadDetailFields = defineInputFields([
  { key: 'full_name', label: 'Full Name', required: false },
  { key: 'phone', label: 'Phone', required: false, helpText: 'In international E.164 format, e.g. `+14155551212`.' },
  { key: 'email', label: 'Email', required: false },
  {
    key: 'treatment_interest',
    label: 'Treatment Interest',
    required: false,
    helpText: 'The treatment or service the lead asked about, e.g. `implants`.',
  },
  { key: 'country', label: 'Country', required: false, helpText: 'Two-letter ISO 3166-1 code, e.g. `US`.' },
  { key: 'city', label: 'City', required: false },
  { key: 'language', label: 'Language', required: false, helpText: 'The language to speak with the lead, e.g. `en` or `es`.' },
  {
    key: 'source',
    label: 'Source',
    required: false,
    choices: choicesOf(LEAD_SOURCES),
    helpText: 'The channel the lead came through, e.g. Paid Ads for an ad form.',
  },
  agentIdField,
  { key: 'notes', label: 'Notes', type: 'text', required: false },
  {
    key: 'external_metadata',
    label: 'External Metadata',
    dict: true,
    required: false,
    helpText: 'Key/value pairs kept with the lead (up to 4 KB), e.g. the ad campaign or form name.',
  },
] as const);

type LeadDetailInput = {
  [K in (typeof leadDetailFields)[number]['key']]?: unknown;
};

/** The filled-in lead fields as the API takes them (blank ones and an empty metadata dict left out). */
export function leadDetails(input: LeadDetailInput) {
  const metadata = input.external_metadata;
  const external_metadata = metadata && typeof metadata === 'object' && Object.keys(metadata).length > 0 ? metadata : undefined;
  return compact({
    full_name: input.full_name,
    phone: input.phone,
    email: input.email,
    treatment_interest: input.treatment_interest,
    country: input.country,
    city: input.city,
    language: input.language,
    source: input.source,
    agent_id: input.agent_id,
    notes: input.notes,
    external_metadata,
  });
}

/** Whether `wanted` is the value a lead already has: emails without letter case, IDs without case, metadata as JSON. */
function sameValue(key: string, wanted: unknown, current: unknown): boolean {
  if ((key === 'email' || key === 'agent_id') && typeof wanted === 'string' && typeof current === 'string')
    return wanted.toLowerCase() === current.toLowerCase();
  if (key === 'external_metadata') return canonicalJson(wanted) === canonicalJson(current ?? null);
  return wanted === current;
}

/** The fields of `wanted` whose value differs from the lead's current one (nothing: no write is needed). */
export function changedLeadFields<T extends Record<string, unknown>>(current: object, wanted: T): Partial<T> {
  const lead = current as Record<string, unknown>;
  return Object.fromEntries(Object.entries(wanted).filter(([key, value]) => !sameValue(key, value, lead[key]))) as Partial<T>;
}

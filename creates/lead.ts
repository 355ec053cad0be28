/** Create or Update Lead: POST /leads (idempotent on external_source + external_id). */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { Lead } from '../contract/resources';
import { sampleLead } from '../contract/samples';
import { LEAD_SOURCES } from '../contract/values';
import { apiRequest, compact } from '../lib/client';
import { agentIdField, externalIdField, externalSourceField } from '../lib/fields';
import { choicesOf } from '../lib/labels';
import { outputFields } from '../lib/output-fields.generated';

const inputFields = defineInputFields([
  { key: 'full_name', label: 'Full Name', required: false, helpText: "The lead's full name, e.g. `Alex Smith`." },
  {
    key: 'phone',
    label: 'Phone',
    required: false,
    helpText: 'The phone number in international E.164 format, e.g. `+14155551212`. Phone or Email (or both) is required.',
  },
  { key: 'email', label: 'Email', required: false, helpText: "The lead's email address. Phone or Email (or both) is required." },
  {
    key: 'treatment_interest',
    label: 'Treatment Interest',
    required: false,
    helpText: 'The treatment or service the lead asked about, e.g. `implants`.',
  },
  {
    key: 'country',
    label: 'Country',
    required: false,
    helpText: 'Two-letter ISO 3166-1 country code, e.g. `US`.',
  },
  { key: 'city', label: 'City', required: false, helpText: 'The city the lead lives in, e.g. `San Francisco`.' },
  { key: 'language', label: 'Language', required: false, helpText: 'The language to speak with the lead, e.g. `en` or `es`.' },
  {
    key: 'source',
    label: 'Source',
    required: false,
    choices: choicesOf(LEAD_SOURCES),
    helpText: 'Where the lead came from (the channel), e.g. Paid Ads for a Facebook lead ad.',
  },
  agentIdField,
  {
    key: 'notes',
    label: 'Notes',
    type: 'text',
    required: false,
    helpText: 'Anything the clinic or the AI agent should know about the lead.',
  },
  {
    ...externalSourceField,
    required: false,
    helpText:
      'The system the lead comes from, e.g. `facebook_lead_ads` or `hubspot`. Set it together with External ID to make this step idempotent: re-running it with the same External Source and External ID updates that lead instead of creating a duplicate.',
  },
  {
    ...externalIdField,
    required: false,
    helpText:
      "The lead's stable ID in that system (e.g. the Facebook lead ID or the CRM record ID). Required when External Source is set, and the other way round.",
  },
  {
    key: 'external_metadata',
    label: 'External Metadata',
    dict: true,
    required: false,
    helpText:
      'Free-form key/value pairs kept with the lead (up to 4 KB), e.g. the ad campaign or form name, for round-tripping context from your CRM.',
  },
] as const);

const perform = (async (z, bundle) => {
  const input = bundle.inputData;
  const metadata = input.external_metadata;
  const external_metadata = metadata && typeof metadata === 'object' && Object.keys(metadata).length > 0 ? metadata : undefined;
  return apiRequest<Lead>(z, {
    method: 'POST',
    path: '/leads',
    body: compact({
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
      external_source: input.external_source,
      external_id: input.external_id,
      external_metadata,
    }),
  });
}) satisfies CreatePerform<InferInputData<typeof inputFields>, Lead>;

export default defineCreate({
  key: 'lead',
  noun: 'Lead',
  display: {
    label: 'Create or Update Lead',
    description:
      'Creates a lead in QualifyBase, or updates the existing lead with the same External Source and External ID, so re-running a Zap never creates duplicates.',
  },
  operation: {
    inputFields,
    perform,
    sample: sampleLead,
    outputFields: outputFields.Lead,
  },
});

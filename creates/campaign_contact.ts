/** Add Contact to Campaign: POST /campaigns/{campaign_id}/contacts. */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { CampaignContact } from '../contract/resources';
import { sampleContact } from '../contract/samples';
import { apiRequest, compact, segment } from '../lib/client';
import { campaignIdField } from '../lib/fields';
import { outputFields } from '../lib/output-fields.generated';

const inputFields = defineInputFields([
  campaignIdField,
  { key: 'name', label: 'Name', required: true, helpText: "The contact's full name, as the AI agent should address them." },
  {
    key: 'phone',
    label: 'Phone',
    required: true,
    helpText: 'The number the AI agent calls, in international E.164 format, e.g. `+14155551212`.',
  },
  {
    key: 'interest',
    label: 'Interest',
    required: true,
    helpText: 'The treatment or service the contact is interested in, e.g. `implants`.',
  },
  { key: 'city', label: 'City', required: true, helpText: 'The city the contact lives in, e.g. `San Francisco`.' },
  {
    key: 'country',
    label: 'Country',
    required: false,
    helpText: "Two-letter ISO 3166-1 country code, e.g. `US`. Contacts outside the campaign's target country are flagged for review.",
  },
  { key: 'email', label: 'Email', required: false, helpText: "The contact's email address." },
  {
    key: 'language',
    label: 'Language',
    required: false,
    helpText: 'The language the AI agent should speak, e.g. `en` or `es`.',
  },
  {
    key: 'notes',
    label: 'Notes',
    type: 'text',
    required: false,
    helpText: 'Anything the AI agent should know before calling, e.g. where the lead came from.',
  },
] as const);

const perform = (async (z, bundle) => {
  const { campaign_id, name, phone, interest, city, country, email, language, notes } = bundle.inputData;
  return apiRequest<CampaignContact>(z, {
    method: 'POST',
    path: `/campaigns/${segment(campaign_id)}/contacts`,
    body: compact({ name, phone, interest, city, country, email, language, notes }),
  });
}) satisfies CreatePerform<InferInputData<typeof inputFields>, CampaignContact>;

export default defineCreate({
  key: 'campaign_contact',
  noun: 'Campaign Contact',
  display: {
    label: 'Add Contact to Campaign',
    description: "Adds a contact to an outbound QualifyBase campaign, so the campaign's AI agent calls them.",
  },
  operation: {
    inputFields,
    perform,
    sample: { ...sampleContact, status: 'pending', attempts: 0, last_attempt_at: null },
    outputFields: outputFields.CampaignContact,
  },
});

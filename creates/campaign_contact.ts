/**
 * Add Contact to Campaign: POST /campaigns/{campaign_id}/contacts, with an Idempotency-Key derived
 * from the step (lib/idempotency.ts): a retried step never adds the contact twice. A replayed answer
 * is read again (lib/keyed-write.ts), so the step returns the contact as it is now (called since:
 * its status and attempts). A contact is never removed, and one the AI agent has called already is
 * not added again: calling the same person twice within a day is what the key is there to prevent.
 */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { CampaignContact } from '../contract/resources';
import { sampleContact } from '../contract/samples';
import { compact, segment } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { campaignIdField } from '../lib/fields';
import { keyedWrite, REPLAYED_RECORD_GONE } from '../lib/keyed-write';
import { outputFields } from '../lib/output-fields.generated';

const inputFields = defineInputFields([
  campaignIdField,
  { key: 'name', label: 'Name', required: true, helpText: 'The full name the AI agent addresses the contact by.' },
  { key: 'phone', label: 'Phone', required: true, helpText: 'The number the AI agent calls, in E.164 format, e.g. `+14155551212`.' },
  { key: 'interest', label: 'Interest', required: true, helpText: 'The treatment or service the contact asked about, e.g. `implants`.' },
  { key: 'city', label: 'City', required: true },
  {
    key: 'country',
    label: 'Country',
    required: false,
    helpText: "Two-letter ISO 3166-1 code, e.g. `US`. Contacts outside the campaign's target country are flagged for review.",
  },
  { key: 'email', label: 'Email', required: false },
  { key: 'language', label: 'Language', required: false, helpText: 'The language the AI agent speaks, e.g. `en` or `es`.' },
  {
    key: 'notes',
    label: 'Notes',
    type: 'text',
    required: false,
    helpText: 'What the AI agent should know before calling, e.g. where the lead came from.',
  },
] as const);

const perform = (async (z, bundle) => {
  const { campaign_id, name, phone, interest, city, country, email, language, notes } = bundle.inputData;
  return keyedWrite<CampaignContact>(z, {
    request: {
      method: 'POST',
      path: `/campaigns/${segment(campaign_id)}/contacts`,
      body: compact({ name, phone, interest, city, country, email, language, notes }),
      idempotencyKeyFor: 'campaign_contact',
    },
    readPath: (contact) => `/campaigns/${segment(contact.campaign_id)}/contacts/${segment(contact.id)}`,
    tooManyReplacements: REPLAYED_RECORD_GONE,
  });
}) satisfies CreatePerform<InferInputData<typeof inputFields>, CampaignContact>;

export default defineCreate({
  key: 'campaign_contact',
  noun: 'Campaign Contact',
  display: { label: 'Add Contact to Campaign', description: 'Adds a contact to an outbound campaign for its AI agent to call.' },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: { ...sampleContact, status: 'pending', attempts: 0, last_attempt_at: null },
    outputFields: outputFields.CampaignContact,
  },
});

/** Update Lead: PATCH /leads/{id} with the fields filled in (blank ones stay as they are). */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { Lead } from '../contract/resources';
import { sampleLead } from '../contract/samples';
import { LEAD_STATUSES } from '../contract/values';
import { apiRequest, compact, segment } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { leadIdField } from '../lib/fields';
import { choicesOf } from '../lib/labels';
import { leadDetailFields, leadDetails } from '../lib/lead-fields';
import { outputFields } from '../lib/output-fields.generated';

export const inputFields = defineInputFields([
  {
    ...leadIdField,
    helpText: 'Pick a lead, map a Lead ID from an earlier step, or add a Find Lead search step. Blank fields below stay as they are.',
  },
  ...leadDetailFields,
  { key: 'status', label: 'Status', required: false, choices: choicesOf(LEAD_STATUSES) },
] as const);

export const perform = (async (z, bundle) => {
  const path = `/leads/${segment(bundle.inputData.lead_id)}`;
  const changes = { ...leadDetails(bundle.inputData), ...compact({ status: bundle.inputData.status }) };
  if (Object.keys(changes).length > 0) return apiRequest<Lead>(z, { method: 'PATCH', path, body: changes });
  // Inside Find or Create Lead (`withSearch`), nothing to change leaves the found lead as it is.
  if (bundle.meta?.withSearch) return apiRequest<Lead>(z, { path });
  throw new z.errors.Error('Nothing to update: fill in at least one field of the lead to change.', 'invalid_input', 400);
}) satisfies CreatePerform<InferInputData<typeof inputFields>, Lead>;

export default defineCreate({
  key: 'lead_update',
  noun: 'Lead',
  display: { label: 'Update Lead', description: "Updates a lead's details or status." },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: { ...sampleLead, status: 'contacted', updated_at: '2026-05-14T13:00:00.000Z' },
    outputFields: outputFields.Lead,
  },
});

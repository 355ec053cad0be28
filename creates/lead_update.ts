/**
 * Update Lead: PATCH /leads/{id} with the fields filled in (blank ones stay as they are). Find or
 * Create Lead runs it on the lead it finds (index.ts), where only what differs is written.
 */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData, ZObject } from 'zapier-platform-core';

import type { Lead } from '../contract/resources';
import { sampleLead } from '../contract/samples';
import { LEAD_STATUSES } from '../contract/values';
import { apiRequest, compact, segment } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { leadIdField } from '../lib/fields';
import { choicesOf } from '../lib/labels';
import { changedLeadFields, leadDetailFields, leadDetails } from '../lib/lead-fields';
import { outputFields } from '../lib/output-fields.generated';

export const inputFields = defineInputFields([
  {
    ...leadIdField,
    helpText: 'Pick a lead, map a Lead ID from an earlier step, or add a Find Lead search step. Blank fields below stay as they are.',
  },
  ...leadDetailFields,
  { key: 'status', label: 'Status', required: false, choices: choicesOf(LEAD_STATUSES) },
] as const);

/**
 * Inside Find or Create Lead (`withSearch`): the found lead, changed only where the step's fields
 * differ from it. The email it was found by (in any letter case) and the values it has already are
 * no change, so a match with nothing new writes nothing at all (no PATCH, no lead.updated event),
 * as 1.0.0's Find or Create Lead never did.
 */
async function updateFoundLead(z: ZObject, path: string, wanted: Record<string, unknown>): Promise<Lead> {
  const found = await apiRequest<Lead>(z, { path });
  const changes = changedLeadFields(found, wanted);
  if (Object.keys(changes).length === 0) return found;
  return apiRequest<Lead>(z, { method: 'PATCH', path, body: changes });
}

export const perform = (async (z, bundle) => {
  const path = `/leads/${segment(bundle.inputData.lead_id)}`;
  const changes = { ...leadDetails(bundle.inputData), ...compact({ status: bundle.inputData.status }) };
  if (bundle.meta?.withSearch) return updateFoundLead(z, path, changes);
  if (Object.keys(changes).length > 0) return apiRequest<Lead>(z, { method: 'PATCH', path, body: changes });
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

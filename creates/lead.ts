/**
 * Create Lead: POST /leads. With External Source and External ID the API upserts on that pair
 * (200 for the existing lead), so the step is idempotent by its own fields; without them it sends an
 * Idempotency-Key (lib/idempotency.ts), and a replayed answer is read again (lib/keyed-write.ts):
 * the step returns the lead as it is now, not as it was created. Find or Create Lead uses it as its
 * create.
 */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { Lead } from '../contract/resources';
import { sampleLead } from '../contract/samples';
import { apiRequest, compact, segment } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { externalIdField, externalSourceField } from '../lib/fields';
import { keyedWrite, REPLAYED_RECORD_GONE } from '../lib/keyed-write';
import { leadDetailFields, leadDetails } from '../lib/lead-fields';
import { outputFields } from '../lib/output-fields.generated';

const [fullName, phone, email, ...otherDetails] = leadDetailFields;

export const inputFields = defineInputFields([
  fullName,
  { ...phone, helpText: `${phone.helpText} Phone or Email (or both) is required.` },
  { ...email, helpText: 'Phone or Email (or both) is required.' },
  ...otherDetails,
  {
    ...externalSourceField,
    required: false,
    helpText:
      'The system the lead comes from, e.g. `web_form` or `crm`. With External ID set, running this step again for the same lead updates it instead of adding a duplicate.',
  },
  { ...externalIdField, required: false, helpText: "The lead's ID in that system; set it together with External Source." },
] as const);

const perform = (async (z, bundle) => {
  const { external_source, external_id } = bundle.inputData;
  const external = compact({ external_source, external_id });
  const upsert = Boolean(external.external_source && external.external_id);
  const body = { ...leadDetails(bundle.inputData), ...external };
  if (upsert) return apiRequest<Lead>(z, { method: 'POST', path: '/leads', body, idempotent: true });
  return keyedWrite<Lead>(z, {
    request: { method: 'POST', path: '/leads', body, idempotencyKeyFor: 'lead' },
    readPath: (lead) => `/leads/${segment(lead.id)}`,
    tooManyReplacements: REPLAYED_RECORD_GONE,
  });
}) satisfies CreatePerform<InferInputData<typeof inputFields>, Lead>;

export default defineCreate({
  key: 'lead',
  noun: 'Lead',
  display: { label: 'Create Lead', description: 'Creates a lead.' },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: sampleLead,
    outputFields: outputFields.Lead,
  },
});

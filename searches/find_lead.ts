/** Find Lead: GET /leads filtered by exact email, phone, or external source + id. */
import { defineInputFields, defineSearch } from 'zapier-platform-core';
import type { InferInputData, SearchPerform } from 'zapier-platform-core';

import type { Lead } from '../contract/resources';
import { sampleLead } from '../contract/samples';
import { apiList, compact } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { externalIdField, externalSourceField } from '../lib/fields';
import { outputFields } from '../lib/output-fields.generated';

/** Enough to see duplicates; Zapier uses the first (newest) match. */
const MATCHES = 10;

const inputFields = defineInputFields([
  { key: 'email', label: 'Email', required: false, helpText: 'An exact match; letter case does not matter.' },
  { key: 'phone', label: 'Phone', required: false, helpText: 'An exact match, in E.164 format, e.g. `+14155551212`.' },
  {
    ...externalSourceField,
    required: false,
    helpText: 'The system the lead came from, as sent to Create Lead, e.g. `web_form`. Use together with External ID.',
  },
  {
    ...externalIdField,
    required: false,
    helpText: "The lead's ID in that system, as sent to Create Lead. Use together with External Source.",
  },
] as const);

const perform = (async (z, bundle) => {
  const { email, phone, external_source, external_id } = bundle.inputData;
  const filters = compact({ email, phone, external_source, external_id });
  if (Boolean(filters.external_source) !== Boolean(filters.external_id)) {
    throw new z.errors.Error(
      'External Source and External ID go together: fill in both to find a lead by its ID in another system.',
      'invalid_input',
      400,
    );
  }
  if (Object.keys(filters).length === 0) {
    throw new z.errors.Error('Fill in Email, Phone, or External Source and External ID to say which lead to find.', 'invalid_input', 400);
  }
  // No match is an empty list (Zapier then reports "nothing found", or runs the create step).
  return apiList<Lead>(z, '/leads', { ...filters, per_page: MATCHES });
}) satisfies SearchPerform<InferInputData<typeof inputFields>, Lead>;

export default defineSearch({
  key: 'find_lead',
  noun: 'Lead',
  display: { label: 'Find Lead', description: 'Finds a lead by email, phone or external ID.' },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: sampleLead,
    outputFields: outputFields.Lead,
  },
});

/** Unblock Calendar Slot: DELETE /availability/blocks?external_source=&external_id= (204, idempotent). */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import { apiRequest } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { externalIdField, externalSourceField } from '../lib/fields';
import { outputFields } from '../lib/output-fields.generated';
import { sampleCalendarUnblockResult } from '../lib/samples';
import type { CalendarUnblockResult } from '../lib/schemas';

const inputFields = defineInputFields([
  { ...externalSourceField, helpText: 'The External Source the block was created with, e.g. `google_calendar`.' },
  { ...externalIdField, helpText: 'The External ID the block was created with (the event ID in your calendar).' },
] as const);

const perform = (async (z, bundle) => {
  const { external_source, external_id } = bundle.inputData;
  // Deleting is idempotent: the API answers 204 whether or not the block still existed.
  await apiRequest<null>(z, { method: 'DELETE', path: '/availability/blocks', params: { external_source, external_id } });
  return { id: `${external_source}:${external_id}`, external_source, external_id, unblocked: true };
}) satisfies CreatePerform<InferInputData<typeof inputFields>, CalendarUnblockResult>;

export default defineCreate({
  key: 'calendar_unblock',
  noun: 'Calendar Block',
  display: { label: 'Unblock Calendar Slot', description: 'Unblocks calendar time that an external event blocked.' },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: sampleCalendarUnblockResult,
    outputFields: outputFields.CalendarUnblockResult,
  },
});

/** Block Calendar Slot: POST /availability/blocks (idempotent on external_source + external_id). */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { CalendarBlock } from '../contract/resources';
import { sampleBlock } from '../contract/samples';
import { apiRequest, compact } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { externalIdField, externalSourceField } from '../lib/fields';
import { outputFields } from '../lib/output-fields.generated';

const inputFields = defineInputFields([
  externalSourceField,
  externalIdField,
  {
    key: 'starts_at',
    label: 'Starts At',
    type: 'datetime',
    required: true,
    helpText: "Map the event's start time from your calendar.",
  },
  {
    key: 'ends_at',
    label: 'Ends At',
    type: 'datetime',
    required: true,
    helpText: 'Must be after Starts At.',
  },
  { key: 'title', label: 'Title', required: false, helpText: 'Shown on the block in the calendar, e.g. the event title.' },
] as const);

const perform = (async (z, bundle) => {
  const { external_source, external_id, starts_at, ends_at, title } = bundle.inputData;
  return apiRequest<CalendarBlock>(z, {
    method: 'POST',
    path: '/availability/blocks',
    body: compact({ external_source, external_id, starts_at, ends_at, title }),
    // An upsert on external_source + external_id: repeating it changes nothing.
    idempotent: true,
  });
}) satisfies CreatePerform<InferInputData<typeof inputFields>, CalendarBlock>;

export default defineCreate({
  key: 'calendar_block',
  noun: 'Calendar Block',
  display: { label: 'Block Calendar Slot', description: 'Blocks calendar time for an external event so nothing is booked over it.' },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: sampleBlock,
    outputFields: outputFields.CalendarBlock,
  },
});

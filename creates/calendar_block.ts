/** Block Calendar Slot: POST /availability/blocks (idempotent on external_source + external_id). */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { CalendarBlock } from '../contract/resources';
import { sampleBlock } from '../contract/samples';
import { apiRequest, compact } from '../lib/client';
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
    helpText: 'When the busy time starts (e.g. the event start time from your calendar).',
  },
  {
    key: 'ends_at',
    label: 'Ends At',
    type: 'datetime',
    required: true,
    helpText: 'When the busy time ends; must be after Starts At.',
  },
  {
    key: 'title',
    label: 'Title',
    required: false,
    helpText: 'Optional label shown on the block in the QualifyBase calendar, e.g. the event title.',
  },
] as const);

const perform = (async (z, bundle) => {
  const { external_source, external_id, starts_at, ends_at, title } = bundle.inputData;
  return apiRequest<CalendarBlock>(z, {
    method: 'POST',
    path: '/availability/blocks',
    body: compact({ external_source, external_id, starts_at, ends_at, title }),
  });
}) satisfies CreatePerform<InferInputData<typeof inputFields>, CalendarBlock>;

export default defineCreate({
  key: 'calendar_block',
  noun: 'Calendar Block',
  display: {
    label: 'Block Calendar Slot',
    description:
      'Blocks a time slot in the QualifyBase calendar for an external event, so no appointment is booked over it. Re-running it for the same event updates the block.',
  },
  operation: {
    inputFields,
    perform,
    sample: sampleBlock,
    outputFields: outputFields.CalendarBlock,
  },
});

/** Find Available Slot: GET /availability; each open slot can go straight into "Book Appointment". */
import { defineInputFields, defineSearch } from 'zapier-platform-core';
import type { InferInputData, SearchPerform } from 'zapier-platform-core';

import type { Slot } from '../contract/resources';
import { apiRequest, compact } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { outputFields } from '../lib/output-fields.generated';
import { sampleFoundSlot } from '../lib/samples';
import type { FoundSlot } from '../lib/schemas';

const inputFields = defineInputFields([
  {
    key: 'from',
    label: 'From',
    type: 'datetime',
    required: false,
    helpText:
      "Slots from this date and time on, e.g. `2026-05-15` or `tomorrow 9am`, read in the Zap's time zone (a date alone means midnight there). Default: now.",
  },
  {
    key: 'to',
    label: 'To',
    type: 'datetime',
    required: false,
    helpText: "Slots starting before this date and time, read in the Zap's time zone like From. Default: 14 days after From.",
  },
  {
    key: 'preference',
    label: 'Time of Day',
    required: false,
    default: 'any',
    choices: [
      { value: 'any', label: 'Any Time', sample: 'any' },
      { value: 'morning', label: 'Morning (06:00-12:00)', sample: 'morning' },
      { value: 'afternoon', label: 'Afternoon (12:00-17:00)', sample: 'afternoon' },
      { value: 'evening', label: 'Evening (17:00-22:00)', sample: 'evening' },
    ],
    helpText: "Only slots in this part of the day, in the clinic's time zone.",
  },
  {
    key: 'limit',
    label: 'Number of Slots',
    type: 'integer',
    required: false,
    default: '1',
    helpText: 'How many of the earliest open slots to return (1 to 100); later steps use the first.',
  },
] as const);

const perform = (async (z, bundle) => {
  const { from, to, preference, limit } = bundle.inputData;
  // A blank Number of Slots (absent, or '' when a mapped value is empty) means the first slot.
  const count = limit === undefined || limit === null || String(limit) === '' ? 1 : limit;
  const params = compact({ from, to, preference, limit: count });
  const page = await apiRequest<{ data: Slot[] }>(z, { path: '/availability', params });
  if (!page || !Array.isArray(page.data)) {
    throw new z.errors.Error('QualifyBase returned an unexpected response for /availability.', 'unexpected_response', 502);
  }
  // A slot's start time is unique among open slots, so it doubles as the id Zapier needs.
  return page.data.map((slot) => ({ id: slot.scheduled_at, scheduled_at: slot.scheduled_at, ends_at: slot.ends_at }));
}) satisfies SearchPerform<InferInputData<typeof inputFields>, FoundSlot>;

export default defineSearch({
  key: 'find_available_slot',
  noun: 'Slot',
  display: { label: 'Find Available Slot', description: 'Finds the earliest open appointment slots.' },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: sampleFoundSlot,
    outputFields: outputFields.FoundSlot,
  },
});

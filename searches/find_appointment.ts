/** Find Appointment: GET /appointments/{id}, or GET /appointments filtered by lead, dates and status. */
import { defineInputFields, defineSearch } from 'zapier-platform-core';
import type { InferInputData, SearchPerform } from 'zapier-platform-core';

import type { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { APPOINTMENT_STATUSES } from '../contract/values';
import { apiList, apiRequest, compact, segment } from '../lib/client';
import { isNotFound } from '../lib/errors';
import { leadIdField } from '../lib/fields';
import { choicesOf } from '../lib/labels';
import { outputFields } from '../lib/output-fields.generated';

/** The Lead dropdown of "Book Appointment", without its search link (that is for actions). */
const { search: _search, ...leadIdFieldWithoutSearch } = leadIdField;

/** Zapier uses the first (newest) match. */
const MATCHES = 10;

export const inputFields = defineInputFields([
  {
    key: 'appointment_id',
    label: 'Appointment ID',
    required: false,
    helpText: 'Finds the appointment with this ID (e.g. mapped from a trigger). When set, the other fields are ignored.',
  },
  {
    ...leadIdFieldWithoutSearch,
    required: false,
    helpText: "Finds the lead's appointments (newest first). Combine with From and To to narrow it down to a date range.",
  },
  {
    key: 'from',
    label: 'From',
    type: 'datetime',
    required: false,
    helpText:
      "Only appointments starting at or after this date and time, e.g. `2026-05-15`. Zapier reads it in the Zap's time zone (Zap settings), so a date alone means midnight there.",
  },
  {
    key: 'to',
    label: 'To',
    type: 'datetime',
    required: false,
    helpText: "Only appointments starting before this date and time, read in the Zap's time zone like From.",
  },
  {
    key: 'status',
    label: 'Status',
    required: false,
    choices: choicesOf(APPOINTMENT_STATUSES),
    helpText: 'Only appointments with this status, e.g. Confirmed.',
  },
] as const);

export const perform = (async (z, bundle) => {
  const { appointment_id, lead_id, from, to, status } = bundle.inputData;
  if (typeof appointment_id === 'string' && appointment_id.trim() !== '') {
    try {
      return [await apiRequest<Appointment>(z, { path: `/appointments/${segment(appointment_id.trim())}` })];
    } catch (error) {
      // Not found (or another clinic's) is a miss, not an error.
      if (isNotFound(error)) return [];
      throw error;
    }
  }
  const filters = compact({ lead_id, from, to, status });
  if (!filters.lead_id && !filters.from && !filters.to) {
    throw new z.errors.Error(
      'Fill in Appointment ID, or a Lead and/or a From/To date range, to say which appointment to find.',
      'invalid_input',
      400,
    );
  }
  return apiList<Appointment>(z, '/appointments', { ...filters, per_page: MATCHES });
}) satisfies SearchPerform<InferInputData<typeof inputFields>, Appointment>;

export default defineSearch({
  key: 'find_appointment',
  noun: 'Appointment',
  display: {
    label: 'Find Appointment',
    description: "Finds an appointment in QualifyBase by its ID, or a lead's appointment in a date range.",
  },
  operation: {
    inputFields,
    perform,
    sample: sampleAppointment,
    outputFields: outputFields.Appointment,
  },
});

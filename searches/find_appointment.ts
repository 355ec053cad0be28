/**
 * Find Appointment: GET /appointments/{id} for the appointment picked (or mapped) in the
 * Appointment dropdown, or GET /appointments filtered by lead, dates and status.
 */
import { defineInputFields, defineSearch } from 'zapier-platform-core';
import type { InferInputData, SearchPerform } from 'zapier-platform-core';

import type { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { APPOINTMENT_STATUSES } from '../contract/values';
import { apiList, apiRequest, compact, segment } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { isNotFound } from '../lib/errors';
import { appointmentIdField, leadIdField } from '../lib/fields';
import { choicesOf } from '../lib/labels';
import { outputFields } from '../lib/output-fields.generated';

/** The dropdowns of the actions, without their search link (a search does not link to itself). */
const { search: _appointmentSearch, ...appointmentDropdown } = appointmentIdField;
const { search: _leadSearch, ...leadDropdown } = leadIdField;

/** Zapier uses the first (newest) match. */
const MATCHES = 10;

export const inputFields = defineInputFields([
  {
    ...appointmentDropdown,
    required: false,
    helpText: 'Pick an appointment, or map an Appointment ID from an earlier step. When set, the fields below are ignored.',
  },
  { ...leadDropdown, required: false, helpText: "Finds the lead's appointments, newest first; narrow them with From and To." },
  {
    key: 'from',
    label: 'From',
    type: 'datetime',
    required: false,
    helpText:
      "Appointments starting at or after this date and time, e.g. `2026-05-15`, read in the Zap's time zone (a date alone means midnight there).",
  },
  {
    key: 'to',
    label: 'To',
    type: 'datetime',
    required: false,
    helpText: "Appointments starting before this, read in the Zap's time zone like From.",
  },
  { key: 'status', label: 'Status', required: false, choices: choicesOf(APPOINTMENT_STATUSES) },
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
      'Pick an Appointment, or a Lead and/or a From/To date range, to say which appointment to find.',
      'invalid_input',
      400,
    );
  }
  return apiList<Appointment>(z, '/appointments', { ...filters, per_page: MATCHES });
}) satisfies SearchPerform<InferInputData<typeof inputFields>, Appointment>;

export default defineSearch({
  key: 'find_appointment',
  noun: 'Appointment',
  display: { label: 'Find Appointment', description: "Finds an appointment, or a lead's appointments in a date range." },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: sampleAppointment,
    outputFields: outputFields.Appointment,
  },
});

/**
 * Book Appointment: POST /appointments (409 slot_unavailable when the time is taken), with an
 * Idempotency-Key derived from the step (lib/idempotency.ts): a retried step never books twice.
 */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { apiRequest, compact } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { agentIdField, leadIdField } from '../lib/fields';
import { outputFields } from '../lib/output-fields.generated';

export const inputFields = defineInputFields([
  leadIdField,
  {
    key: 'scheduled_at',
    label: 'Starts At',
    type: 'datetime',
    required: true,
    helpText:
      "Map Starts At from Find Available Slot to get an open time; a taken time or one outside the clinic's opening hours is refused.",
  },
  {
    key: 'ends_at',
    label: 'Ends At',
    type: 'datetime',
    required: false,
    helpText: "Map Ends At from Find Available Slot, or leave blank for the clinic's usual slot length.",
  },
  { key: 'title', label: 'Title', required: false, helpText: 'Shown in the calendar, e.g. `Consultation`.' },
  { key: 'notes', label: 'Notes', type: 'text', required: false },
  { ...agentIdField, key: 'assigned_to', label: 'Assigned Agent', helpText: 'Leave blank to leave the appointment unassigned.' },
] as const);

export const perform = (async (z, bundle) => {
  const { lead_id, scheduled_at, ends_at, title, notes, assigned_to } = bundle.inputData;
  return apiRequest<Appointment>(z, {
    method: 'POST',
    path: '/appointments',
    body: compact({ lead_id, scheduled_at, ends_at, title, notes, assigned_to }),
    idempotencyKeyFor: 'appointment',
  });
}) satisfies CreatePerform<InferInputData<typeof inputFields>, Appointment>;

export default defineCreate({
  key: 'appointment',
  noun: 'Appointment',
  display: { label: 'Book Appointment', description: 'Books an appointment for a lead in an open slot.' },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: sampleAppointment,
    outputFields: outputFields.Appointment,
  },
});

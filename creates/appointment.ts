/**
 * Book Appointment: POST /appointments (409 slot_unavailable when the time is taken), with an
 * Idempotency-Key derived from the step (lib/idempotency.ts): a retried step never books twice. A
 * replayed answer is read again (lib/keyed-write.ts): the step returns the appointment as it is
 * now, and books again when that appointment was cancelled since.
 */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { compact, segment } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { agentIdField, leadIdField } from '../lib/fields';
import { keyedWrite, MAX_REPLACEMENTS } from '../lib/keyed-write';
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
  return keyedWrite<Appointment>(z, {
    request: {
      method: 'POST',
      path: '/appointments',
      body: compact({ lead_id, scheduled_at, ends_at, title, notes, assigned_to }),
      idempotencyKeyFor: 'appointment',
    },
    readPath: (appointment) => `/appointments/${segment(appointment.id)}`,
    isLive: (appointment) => appointment.status !== 'cancelled',
    tooManyReplacements: {
      message: `This step's booking was cancelled and booked again ${MAX_REPLACEMENTS} times within a day, each time cancelled again, so it was not booked once more. Check the lead's appointments in QualifyBase; to book anyway, change a field of the step (e.g. Notes).`,
      code: 'rebooked_too_often',
    },
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

/** Update Appointment: PATCH /appointments/{id} with the filled-in changes (reschedule, details, status). */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { apiRequest, compact, segment } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { agentIdField, appointmentIdField } from '../lib/fields';
import { choicesOf } from '../lib/labels';
import { outputFields } from '../lib/output-fields.generated';

const inputFields = defineInputFields([
  appointmentIdField,
  {
    key: 'scheduled_at',
    label: 'New Start Time',
    type: 'datetime',
    required: false,
    helpText: 'Map Starts At from Find Available Slot. Moving only the start keeps the length; leave blank to keep the time.',
  },
  {
    key: 'ends_at',
    label: 'New End Time',
    type: 'datetime',
    required: false,
    helpText: 'Map Ends At from Find Available Slot, or leave blank to keep the length.',
  },
  { key: 'title', label: 'Title', required: false },
  { key: 'notes', label: 'Notes', type: 'text', required: false },
  { ...agentIdField, key: 'assigned_to', label: 'Assigned Agent', helpText: 'Leave blank to keep the current agent.' },
  {
    key: 'status',
    label: 'Status',
    required: false,
    choices: choicesOf(['confirmed', 'completed', 'no_show']),
    helpText: 'To cancel the appointment, use Cancel Appointment instead.',
  },
] as const);

const perform = (async (z, bundle) => {
  const { appointment_id, scheduled_at, ends_at, title, notes, assigned_to, status } = bundle.inputData;
  // Blank fields stay as they are (only what is filled in is sent).
  const changes = compact({ scheduled_at, ends_at, title, notes, assigned_to, status });
  if (Object.keys(changes).length === 0) {
    throw new z.errors.Error('Nothing to change: fill in a new start time, end time, title, notes, agent or status.', 'invalid_input', 400);
  }
  return apiRequest<Appointment>(z, {
    method: 'PATCH',
    path: `/appointments/${segment(appointment_id)}`,
    body: changes,
  });
}) satisfies CreatePerform<InferInputData<typeof inputFields>, Appointment>;

export default defineCreate({
  key: 'appointment_update',
  noun: 'Appointment',
  display: { label: 'Update Appointment', description: "Updates an appointment's time, details or status." },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: sampleAppointment,
    outputFields: outputFields.Appointment,
  },
});

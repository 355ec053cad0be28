/** Reschedule Appointment: PATCH /appointments/{id}. */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { apiRequest, compact, segment } from '../lib/client';
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
    helpText:
      'The new start time (map Starts At from the Find Available Slot search). Moving only the start keeps the length. Leave blank to keep the time.',
  },
  {
    key: 'ends_at',
    label: 'New End Time',
    type: 'datetime',
    required: false,
    helpText: 'The new end time (map Ends At from Find Available Slot). Leave blank to keep the length.',
  },
  { key: 'title', label: 'Title', required: false, helpText: 'A new title for the calendar. Leave blank to keep the current one.' },
  { key: 'notes', label: 'Notes', type: 'text', required: false, helpText: 'New notes. Leave blank to keep the current ones.' },
  {
    ...agentIdField,
    key: 'assigned_to',
    label: 'Assigned Agent',
    helpText: 'The agent to assign the appointment to. Leave blank to keep the current assignment.',
  },
  {
    key: 'status',
    label: 'Status',
    required: false,
    choices: choicesOf(['confirmed', 'completed', 'no_show']),
    helpText: 'Mark the appointment completed or a no-show (to cancel it, use the Cancel Appointment action). Leave blank to keep it.',
  },
] as const);

const perform = (async (z, bundle) => {
  const { appointment_id, scheduled_at, ends_at, title, notes, assigned_to, status } = bundle.inputData;
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
  display: {
    label: 'Reschedule Appointment',
    description:
      "Updates an appointment in QualifyBase: moves it to a new time (checked against the clinic's calendar like a new booking) or changes its title, notes, agent or status.",
  },
  operation: {
    inputFields,
    perform,
    sample: sampleAppointment,
    outputFields: outputFields.Appointment,
  },
});

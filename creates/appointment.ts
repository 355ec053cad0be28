/** Book Appointment: POST /appointments (409 slot_unavailable when the time is taken). */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { apiRequest, compact } from '../lib/client';
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
      "When the appointment starts. Map Starts At from the Find Available Slot search to get a time that is open; a time that is taken or outside the clinic's opening hours is refused.",
  },
  {
    key: 'ends_at',
    label: 'Ends At',
    type: 'datetime',
    required: false,
    helpText: "When the appointment ends (map Ends At from Find Available Slot). Leave blank for the clinic's usual slot length.",
  },
  { key: 'title', label: 'Title', required: false, helpText: 'Shown in the QualifyBase calendar, e.g. `Consultation`.' },
  {
    key: 'notes',
    label: 'Notes',
    type: 'text',
    required: false,
    helpText: 'Anything the clinic should know before the appointment.',
  },
  {
    ...agentIdField,
    key: 'assigned_to',
    label: 'Assigned Agent',
    helpText: 'Optional: the agent the appointment is assigned to. Leave blank to leave it unassigned.',
  },
] as const);

export const perform = (async (z, bundle) => {
  const { lead_id, scheduled_at, ends_at, title, notes, assigned_to } = bundle.inputData;
  return apiRequest<Appointment>(z, {
    method: 'POST',
    path: '/appointments',
    body: compact({ lead_id, scheduled_at, ends_at, title, notes, assigned_to }),
  });
}) satisfies CreatePerform<InferInputData<typeof inputFields>, Appointment>;

export default defineCreate({
  key: 'appointment',
  noun: 'Appointment',
  display: {
    label: 'Book Appointment',
    description:
      'Books an appointment for a lead in the QualifyBase calendar, using the same booking engine as the dashboard and AI agent (no double booking).',
  },
  operation: {
    inputFields,
    perform,
    sample: sampleAppointment,
    outputFields: outputFields.Appointment,
  },
});

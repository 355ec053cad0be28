/** Input fields shared by several operations; keys are the API's own field names. */
import { defineInputField } from 'zapier-platform-core';

export const campaignIdField = defineInputField({
  key: 'campaign_id',
  label: 'Campaign',
  required: true,
  dynamic: 'campaign_list.id.name',
  helpText: 'The outbound campaign whose AI agent calls the contact.',
});

export const externalSourceField = defineInputField({
  key: 'external_source',
  label: 'External Source',
  required: true,
  helpText:
    'Where the event comes from, e.g. `google_calendar`. With External ID it identifies the block, so running the step again for the same event updates the block.',
});

export const externalIdField = defineInputField({
  key: 'external_id',
  label: 'External ID',
  required: true,
  helpText: "The event's ID in that calendar (map it from the calendar's trigger).",
});

/** The lead an appointment is for: a dropdown of recent leads, or Find Lead by email/phone. */
export const leadIdField = defineInputField({
  key: 'lead_id',
  label: 'Lead',
  required: true,
  dynamic: 'lead_list.id.label',
  search: 'find_lead.id',
  helpText: 'Pick a lead, map a Lead ID from an earlier step, or add a Find Lead search step.',
});

/** An appointment to change or cancel: a dropdown of recent appointments, or Find Appointment. */
export const appointmentIdField = defineInputField({
  key: 'appointment_id',
  label: 'Appointment',
  required: true,
  dynamic: 'appointment_list.id.label',
  search: 'find_appointment.id',
  helpText:
    'Pick an appointment (listed by start time and lead), map an Appointment ID from an earlier step, or add a Find Appointment search step.',
});

/** An outbound agent, from the hidden agent_list trigger. */
export const agentIdField = defineInputField({
  key: 'agent_id',
  label: 'Agent',
  required: false,
  dynamic: 'agent_list.id.name',
  helpText: "The outbound AI agent to pin the lead to; the lead then appears under that agent's Leads tab.",
});

/** Input fields shared by several operations; keys are the API's own field names. */
import { defineInputField } from 'zapier-platform-core';

export const campaignIdField = defineInputField({
  key: 'campaign_id',
  label: 'Campaign',
  required: true,
  dynamic: 'campaign_list.id.name',
  helpText: 'The outbound campaign whose AI agent should call this contact.',
});

export const externalSourceField = defineInputField({
  key: 'external_source',
  label: 'External Source',
  required: true,
  helpText:
    'Where the calendar event comes from, e.g. `google_calendar` or `outlook`. Together with External ID it identifies the block, so re-running a Zap updates the same block.',
});

export const externalIdField = defineInputField({
  key: 'external_id',
  label: 'External ID',
  required: true,
  helpText: "The event's ID in the external calendar (for Google Calendar, the Event ID).",
});

/** The lead an appointment is for: a dropdown of recent leads, or Find Lead by email/phone. */
export const leadIdField = defineInputField({
  key: 'lead_id',
  label: 'Lead',
  required: true,
  dynamic: 'lead_list.id.label',
  search: 'find_lead.id',
  helpText:
    'The QualifyBase lead. Pick one from the list, map a Lead ID from an earlier step (e.g. "Create or Update Lead"), or use the Find Lead search.',
});

/** An appointment to change or cancel: a dropdown of recent appointments, or Find Appointment. */
export const appointmentIdField = defineInputField({
  key: 'appointment_id',
  label: 'Appointment',
  required: true,
  dynamic: 'appointment_list.id.label',
  search: 'find_appointment.id',
  helpText:
    'The QualifyBase appointment. Pick one from the list (shown by start time and lead), map an Appointment ID from an earlier step, or use the Find Appointment search.',
});

/** An outbound agent, from the hidden agent_list trigger. */
export const agentIdField = defineInputField({
  key: 'agent_id',
  label: 'Agent',
  required: false,
  dynamic: 'agent_list.id.name',
  helpText: "The clinic's outbound AI agent to pin the lead to; the lead then appears under that agent's Leads tab.",
});

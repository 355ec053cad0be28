/**
 * Static samples of the shapes in lib/schemas.ts (the app's own, not the API's). Type-only
 * imports keep this file free of zod at run time; test/app/style.test.ts checks each against its
 * schema.
 */
import { sampleAppointment, sampleLead, sampleSlot } from '../contract/samples';
import type { CalendarUnblockResult, FoundSlot, UpdatedAppointment, UpdatedLead } from './schemas';

export const sampleCalendarUnblockResult: CalendarUnblockResult = {
  id: 'google_calendar:evt_abc123',
  external_source: 'google_calendar',
  external_id: 'evt_abc123',
  unblocked: true,
};

export const sampleFoundSlot: FoundSlot = { id: sampleSlot.scheduled_at, ...sampleSlot };

/** Updated Appointment: an appointment moved from 10:00 to 11:00 UTC. */
export const sampleUpdatedAppointment: UpdatedAppointment = {
  ...sampleAppointment,
  updated_at: '2026-05-14T13:00:00.000Z',
  changed_fields: ['scheduled_at', 'ends_at'],
  previous_scheduled_at: '2026-05-15T10:00:00.000Z',
  previous_ends_at: '2026-05-15T10:30:00.000Z',
  previous_status: sampleAppointment.status,
  previous_assigned_to: sampleAppointment.assigned_to,
};

/** Updated Lead: a lead booked by an appointment (status new -> booked). */
export const sampleUpdatedLead: UpdatedLead = {
  ...sampleLead,
  status: 'booked',
  updated_at: '2026-05-14T12:00:00.000Z',
  changed_fields: ['status'],
  previous_status: 'new',
  previous_agent_id: sampleLead.agent_id,
  previous_full_name: sampleLead.full_name,
  previous_phone: sampleLead.phone,
  previous_email: sampleLead.email,
};

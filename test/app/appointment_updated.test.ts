import { Appointment } from '../../contract/resources';
import { sampleAppointment } from '../../contract/samples';
import { APPOINTMENT_TRACKED, withChanges } from '../../lib/changes';
import { UpdatedAppointment } from '../../lib/schemas';
import { describeHookTrigger } from './hook-trigger-suite';
import { describeUpdateFilters } from './update-trigger-suite';

describeHookTrigger({
  key: 'appointment_updated',
  event: 'appointment.updated',
  dataKey: 'appointment',
  listPath: '/api/v1/appointments',
  status: 'confirmed',
  schema: UpdatedAppointment,
  item: sampleAppointment,
  shape: (item) => withChanges(item, {}, APPOINTMENT_TRACKED),
});

const rescheduled = { ...sampleAppointment, scheduled_at: '2026-05-15T13:00:00.000Z', ends_at: '2026-05-15T13:30:00.000Z' };

describeUpdateFilters({
  key: 'appointment_updated',
  event: 'appointment.updated',
  dataKey: 'appointment',
  schema: UpdatedAppointment,
  choices: ['rescheduled', 'status_changed', 'reassigned'],
  change: {
    item: Appointment.parse(rescheduled),
    previous_attributes: { scheduled_at: sampleAppointment.scheduled_at, ends_at: sampleAppointment.ends_at },
    expected: {
      changed_fields: ['scheduled_at', 'ends_at'],
      previous_scheduled_at: sampleAppointment.scheduled_at,
      previous_ends_at: sampleAppointment.ends_at,
      previous_status: 'confirmed',
      previous_assigned_to: sampleAppointment.assigned_to,
    },
    passes: 'rescheduled',
    leftOut: 'status_changed',
  },
});

import { createHookTrigger } from '../lib/hook-trigger';
import { APPOINTMENT_TRACKED } from '../lib/changes';
import { outputFields } from '../lib/output-fields.generated';
import { sampleUpdatedAppointment } from '../lib/samples';

export default createHookTrigger({
  key: 'appointment_updated',
  event: 'appointment.updated',
  noun: 'Appointment',
  label: 'Updated Appointment',
  description: 'Triggers when an appointment is rescheduled or changed.',
  outputFields: outputFields.UpdatedAppointment,
  sample: sampleUpdatedAppointment,
  list: { path: '/appointments', params: { status: 'confirmed' } },
  changes: {
    tracked: APPOINTMENT_TRACKED,
    filters: {
      rescheduled: { label: 'Rescheduled (start or end time changes)', fields: ['scheduled_at', 'ends_at'] },
      status_changed: { label: 'Status changes (e.g. completed or no-show)', fields: ['status'] },
      reassigned: { label: 'Assigned agent changes', fields: ['assigned_to'] },
    },
  },
});

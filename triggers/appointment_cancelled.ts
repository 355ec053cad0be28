import { sampleCancelledAppointment } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'appointment_cancelled',
  event: 'appointment.cancelled',
  noun: 'Appointment',
  label: 'Cancelled Appointment',
  description: 'Triggers when an appointment is cancelled.',
  outputFields: outputFields.Appointment,
  sample: sampleCancelledAppointment,
  list: { path: '/appointments', params: { status: 'cancelled' } },
});

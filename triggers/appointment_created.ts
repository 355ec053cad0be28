import { sampleAppointment } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'appointment_created',
  event: 'appointment.created',
  noun: 'Appointment',
  label: 'New Appointment',
  description: 'Triggers when an appointment is booked.',
  outputFields: outputFields.Appointment,
  sample: sampleAppointment,
  list: { path: '/appointments', params: { status: 'confirmed' } },
});

import { sampleAppointment } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'appointment_updated',
  event: 'appointment.updated',
  noun: 'Appointment',
  label: 'Updated Appointment',
  description: 'Triggers when an appointment is changed in QualifyBase, for example rescheduled or marked completed.',
  outputFields: outputFields.Appointment,
  sample: sampleAppointment,
  list: { path: '/appointments', params: { status: 'confirmed' } },
});

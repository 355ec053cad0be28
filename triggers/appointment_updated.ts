import { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';

export default createHookTrigger({
  key: 'appointment_updated',
  event: 'appointment.updated',
  noun: 'Appointment',
  label: 'Updated Appointment',
  description: 'Triggers when an appointment is changed in QualifyBase, for example rescheduled or marked completed.',
  schema: Appointment,
  sample: sampleAppointment,
  list: { path: '/appointments', params: { status: 'confirmed' } },
});

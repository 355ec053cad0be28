import { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';

export default createHookTrigger({
  key: 'appointment_created',
  event: 'appointment.created',
  noun: 'Appointment',
  label: 'New Appointment',
  description: 'Triggers when an appointment is booked in QualifyBase (by the AI agent, the dashboard or the API).',
  schema: Appointment,
  sample: sampleAppointment,
  list: { path: '/appointments', params: { status: 'confirmed' } },
});

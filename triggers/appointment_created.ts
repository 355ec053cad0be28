import { sampleAppointment } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'appointment_created',
  event: 'appointment.created',
  noun: 'Appointment',
  label: 'New Appointment',
  description: 'Triggers when an appointment is booked in QualifyBase (by the AI agent, the dashboard or the API).',
  outputFields: outputFields.Appointment,
  sample: sampleAppointment,
  list: { path: '/appointments', params: { status: 'confirmed' } },
});

import { Appointment } from '../../contract/resources';
import { sampleAppointment } from '../../contract/samples';
import { describeHookTrigger } from './hook-trigger-suite';

describeHookTrigger({
  key: 'appointment_updated',
  event: 'appointment.updated',
  dataKey: 'appointment',
  listPath: '/api/v1/appointments',
  status: 'confirmed',
  schema: Appointment,
  item: sampleAppointment,
});

import { Appointment } from '../../contract/resources';
import { sampleAppointment } from '../../contract/samples';
import { describeHookTrigger } from './hook-trigger-suite';

describeHookTrigger({
  key: 'appointment_created',
  event: 'appointment.created',
  dataKey: 'appointment',
  listPath: '/api/v1/appointments',
  status: 'confirmed',
  schema: Appointment,
  item: sampleAppointment,
});

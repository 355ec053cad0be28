import { Appointment } from '../../contract/resources';
import { sampleCancelledAppointment } from '../../contract/samples';
import { describeHookTrigger } from './hook-trigger-suite';

describeHookTrigger({
  key: 'appointment_cancelled',
  event: 'appointment.cancelled',
  dataKey: 'appointment',
  listPath: '/api/v1/appointments',
  status: 'cancelled',
  schema: Appointment,
  item: sampleCancelledAppointment,
});

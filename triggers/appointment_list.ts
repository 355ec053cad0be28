/** Hidden trigger behind the Appointment dropdowns ("Reschedule Appointment", "Cancel Appointment"). */
import { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { createDropdownTrigger } from '../lib/dropdown-trigger';
import { appointmentLabel } from '../lib/labels';

export default createDropdownTrigger({
  key: 'appointment_list',
  noun: 'Appointment',
  description: 'Triggers when a new appointment is booked (used to fill the Appointment dropdown).',
  list: { path: '/appointments' },
  schema: Appointment,
  sample: sampleAppointment,
  label: appointmentLabel,
});

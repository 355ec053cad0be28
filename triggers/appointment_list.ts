/** Hidden trigger behind the Appointment dropdowns ("Reschedule Appointment", "Cancel Appointment"). */
import { sampleAppointment } from '../contract/samples';
import { createDropdownTrigger } from '../lib/dropdown-trigger';
import { appointmentLabel } from '../lib/labels';
import { outputFields } from '../lib/output-fields.generated';

export default createDropdownTrigger({
  key: 'appointment_list',
  noun: 'Appointment',
  description: 'Triggers when a new appointment is booked (used to fill the Appointment dropdown).',
  list: { path: '/appointments' },
  outputFields: outputFields.Appointment,
  sample: sampleAppointment,
  label: appointmentLabel,
});

/** Cancel Appointment: DELETE /appointments/{id} (a soft cancel; repeating it is harmless). */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { Bundle, ZObject } from 'zapier-platform-core';

import type { Appointment as AppointmentType } from '../contract/resources';
import { Appointment } from '../contract/resources';
import { sampleCancelledAppointment } from '../contract/samples';
import { apiRequest, segment } from '../lib/client';
import { appointmentIdField } from '../lib/fields';
import { outputFieldsFromSchema } from '../lib/output-fields';

const inputFields = defineInputFields([appointmentIdField] as const);

const perform = async (z: ZObject, bundle: Bundle): Promise<AppointmentType> =>
  apiRequest<AppointmentType>(z, {
    method: 'DELETE',
    path: `/appointments/${segment(bundle.inputData.appointment_id)}`,
  });

export default defineCreate({
  key: 'appointment_cancel',
  noun: 'Appointment',
  display: {
    label: 'Cancel Appointment',
    description:
      'Cancels an appointment in QualifyBase and frees its slot. Cancelling an appointment that is already cancelled changes nothing.',
  },
  operation: {
    inputFields,
    perform,
    sample: sampleCancelledAppointment,
    outputFields: outputFieldsFromSchema(Appointment),
  },
});

/** Cancel Appointment: DELETE /appointments/{id} (a soft cancel; repeating it is harmless). */
import { defineCreate, defineInputFields } from 'zapier-platform-core';
import type { CreatePerform, InferInputData } from 'zapier-platform-core';

import type { Appointment } from '../contract/resources';
import { sampleCancelledAppointment } from '../contract/samples';
import { apiRequest, segment } from '../lib/client';
import { API_THROTTLE } from '../lib/config';
import { appointmentIdField } from '../lib/fields';
import { outputFields } from '../lib/output-fields.generated';

const inputFields = defineInputFields([appointmentIdField] as const);

const perform = (async (z, bundle) =>
  apiRequest<Appointment>(z, {
    method: 'DELETE',
    path: `/appointments/${segment(bundle.inputData.appointment_id)}`,
  })) satisfies CreatePerform<InferInputData<typeof inputFields>, Appointment>;

export default defineCreate({
  key: 'appointment_cancel',
  noun: 'Appointment',
  display: { label: 'Cancel Appointment', description: 'Cancels an appointment and frees its slot.' },
  operation: {
    inputFields,
    perform,
    throttle: API_THROTTLE,
    sample: sampleCancelledAppointment,
    outputFields: outputFields.Appointment,
  },
});

/** Hidden trigger behind the Appointment dropdowns ("Reschedule Appointment", "Cancel Appointment"). */
import { defineTrigger } from 'zapier-platform-core';
import type { Bundle, ZObject } from 'zapier-platform-core';

import type { Appointment as AppointmentType } from '../contract/resources';
import { Appointment } from '../contract/resources';
import { sampleAppointment } from '../contract/samples';
import { apiList } from '../lib/client';
import { DROPDOWN_PAGE_SIZE } from '../lib/config';
import { outputFieldsFromSchema } from '../lib/output-fields';

const perform = async (z: ZObject, bundle: Bundle): Promise<AppointmentType[]> =>
  // Newest first (the API's order); Zapier's bundle.meta.page starts at 0, the API's at 1.
  apiList<AppointmentType>(z, '/appointments', { page: (bundle.meta?.page ?? 0) + 1, per_page: DROPDOWN_PAGE_SIZE });

export default defineTrigger({
  key: 'appointment_list',
  noun: 'Appointment',
  display: {
    label: 'Appointment List',
    description: 'Triggers when a new appointment is booked (used to fill the Appointment dropdown).',
    hidden: true,
  },
  operation: {
    type: 'polling',
    perform,
    canPaginate: true,
    sample: sampleAppointment,
    outputFields: outputFieldsFromSchema(Appointment),
  },
});

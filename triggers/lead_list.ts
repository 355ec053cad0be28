/** Hidden trigger behind the Lead dropdowns ("Book Appointment", "Find Appointment"). */
import { defineTrigger } from 'zapier-platform-core';
import type { Bundle, ZObject } from 'zapier-platform-core';

import type { Lead as LeadType } from '../contract/resources';
import { Lead } from '../contract/resources';
import { sampleLead } from '../contract/samples';
import { apiList } from '../lib/client';
import { DROPDOWN_PAGE_SIZE } from '../lib/config';
import { outputFieldsFromSchema } from '../lib/output-fields';

const perform = async (z: ZObject, bundle: Bundle): Promise<LeadType[]> =>
  // Newest first (the API's order); Zapier's bundle.meta.page starts at 0, the API's at 1.
  apiList<LeadType>(z, '/leads', { page: (bundle.meta?.page ?? 0) + 1, per_page: DROPDOWN_PAGE_SIZE });

export default defineTrigger({
  key: 'lead_list',
  noun: 'Lead',
  display: {
    label: 'Lead List',
    description: 'Triggers when a new lead is created (used to fill the Lead dropdown).',
    hidden: true,
  },
  operation: {
    type: 'polling',
    perform,
    canPaginate: true,
    sample: sampleLead,
    outputFields: outputFieldsFromSchema(Lead),
  },
});

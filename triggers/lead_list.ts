/** Hidden trigger behind the Lead dropdowns ("Book Appointment", "Find Appointment"). */
import { sampleLead } from '../contract/samples';
import { createDropdownTrigger } from '../lib/dropdown-trigger';
import { leadLabel } from '../lib/labels';
import { outputFields } from '../lib/output-fields.generated';

export default createDropdownTrigger({
  key: 'lead_list',
  noun: 'Lead',
  description: 'Triggers when a new lead is created (used to fill the Lead dropdown).',
  list: { path: '/leads' },
  outputFields: outputFields.Lead,
  sample: sampleLead,
  label: leadLabel,
});

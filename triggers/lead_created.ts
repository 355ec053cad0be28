import { sampleLead } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'lead_created',
  event: 'lead.created',
  noun: 'Lead',
  label: 'New Lead',
  description: 'Triggers when a lead is created.',
  outputFields: outputFields.Lead,
  sample: sampleLead,
  list: { path: '/leads', params: {} },
});

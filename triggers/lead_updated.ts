import { sampleLead } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'lead_updated',
  event: 'lead.updated',
  noun: 'Lead',
  label: 'Updated Lead',
  description: 'Triggers when a lead is changed in QualifyBase, for example its contact details, its status (such as booked) or its agent.',
  outputFields: outputFields.Lead,
  sample: { ...sampleLead, status: 'booked', updated_at: '2026-05-14T12:00:00.000Z' },
  list: { path: '/leads', params: {} },
});

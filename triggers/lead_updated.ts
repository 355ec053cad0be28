import { Lead } from '../contract/resources';
import { sampleLead } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';

export default createHookTrigger({
  key: 'lead_updated',
  event: 'lead.updated',
  noun: 'Lead',
  label: 'Updated Lead',
  description: 'Triggers when a lead is changed in QualifyBase, for example its contact details, its status (such as booked) or its agent.',
  schema: Lead,
  sample: { ...sampleLead, status: 'booked', updated_at: '2026-05-14T12:00:00.000Z' },
  list: { path: '/leads', params: {} },
});

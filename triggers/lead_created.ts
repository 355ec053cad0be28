import { Lead } from '../contract/resources';
import { sampleLead } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';

export default createHookTrigger({
  key: 'lead_created',
  event: 'lead.created',
  noun: 'Lead',
  label: 'New Lead',
  description: 'Triggers when a new lead is created in QualifyBase (from the API, a form, an ad platform or the dashboard).',
  schema: Lead,
  sample: sampleLead,
  list: { path: '/leads', params: {} },
});

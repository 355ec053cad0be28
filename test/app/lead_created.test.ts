import { Lead } from '../../contract/resources';
import { sampleLead } from '../../contract/samples';
import { describeHookTrigger } from './hook-trigger-suite';

describeHookTrigger({
  key: 'lead_created',
  event: 'lead.created',
  dataKey: 'lead',
  listPath: '/api/v1/leads',
  schema: Lead,
  item: { ...sampleLead, status: 'new' },
});

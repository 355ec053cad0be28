import { CampaignContact } from '../../contract/resources';
import { sampleContact } from '../../contract/samples';
import { describeHookTrigger } from './hook-trigger-suite';

describeHookTrigger({
  key: 'campaign_contact_qualified',
  event: 'campaign.contact.qualified',
  dataKey: 'contact',
  listPath: '/api/v1/campaigns/contacts',
  status: 'qualified',
  schema: CampaignContact,
  item: { ...sampleContact, status: 'qualified' },
});

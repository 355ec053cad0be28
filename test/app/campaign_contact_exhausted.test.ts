import { CampaignContact } from '../../contract/resources';
import { sampleContact } from '../../contract/samples';
import { describeHookTrigger } from './hook-trigger-suite';

describeHookTrigger({
  key: 'campaign_contact_exhausted',
  event: 'campaign.contact.exhausted',
  dataKey: 'contact',
  listPath: '/api/v1/campaigns/contacts',
  status: 'exhausted',
  schema: CampaignContact,
  item: { ...sampleContact, status: 'exhausted' },
});

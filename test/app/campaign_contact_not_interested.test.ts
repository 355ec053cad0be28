import { CampaignContact } from '../../contract/resources';
import { sampleContact } from '../../contract/samples';
import { describeHookTrigger } from './hook-trigger-suite';

describeHookTrigger({
  key: 'campaign_contact_not_interested',
  event: 'campaign.contact.not_interested',
  dataKey: 'contact',
  listPath: '/api/v1/campaigns/contacts',
  status: 'not_interested',
  schema: CampaignContact,
  item: { ...sampleContact, status: 'not_interested' },
});

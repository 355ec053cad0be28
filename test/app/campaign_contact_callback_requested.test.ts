import { CampaignContact } from '../../contract/resources';
import { sampleContact } from '../../contract/samples';
import { describeHookTrigger } from './hook-trigger-suite';

describeHookTrigger({
  key: 'campaign_contact_callback_requested',
  event: 'campaign.contact.callback_requested',
  dataKey: 'contact',
  listPath: '/api/v1/campaigns/contacts',
  status: 'callback_requested',
  schema: CampaignContact,
  item: { ...sampleContact, status: 'callback_requested' },
});

import { sampleContact } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'campaign_contact_callback_requested',
  event: 'campaign.contact.callback_requested',
  noun: 'Campaign Contact',
  label: 'Callback Requested',
  description: 'Triggers when a campaign contact asks to be called back later.',
  outputFields: outputFields.CampaignContact,
  sample: { ...sampleContact, status: 'callback_requested' },
  list: { path: '/campaigns/contacts', params: { status: 'callback_requested' } },
});

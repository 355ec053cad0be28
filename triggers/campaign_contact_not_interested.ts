import { sampleContact } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'campaign_contact_not_interested',
  event: 'campaign.contact.not_interested',
  noun: 'Campaign Contact',
  label: 'Contact Not Interested',
  description: 'Triggers when a campaign contact says they are not interested.',
  outputFields: outputFields.CampaignContact,
  sample: { ...sampleContact, status: 'not_interested' },
  list: { path: '/campaigns/contacts', params: { status: 'not_interested' } },
});

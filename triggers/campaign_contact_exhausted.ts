import { sampleContact } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'campaign_contact_exhausted',
  event: 'campaign.contact.exhausted',
  noun: 'Campaign Contact',
  label: 'Exhausted Campaign Contact',
  description: 'Triggers when the AI agent has used up every call attempt for a campaign contact without reaching them.',
  outputFields: outputFields.CampaignContact,
  sample: { ...sampleContact, status: 'exhausted' },
  list: { path: '/campaigns/contacts', params: { status: 'exhausted' } },
});

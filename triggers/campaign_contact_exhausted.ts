import { CampaignContact } from '../contract/resources';
import { sampleContact } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';

export default createHookTrigger({
  key: 'campaign_contact_exhausted',
  event: 'campaign.contact.exhausted',
  noun: 'Campaign Contact',
  label: 'Exhausted Campaign Contact',
  description: 'Triggers when the AI agent has used up every call attempt for a campaign contact without reaching them.',
  schema: CampaignContact,
  sample: { ...sampleContact, status: 'exhausted' },
  list: { path: '/campaigns/contacts', params: { status: 'exhausted' } },
});

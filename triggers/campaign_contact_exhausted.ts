import { sampleContact } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'campaign_contact_exhausted',
  event: 'campaign.contact.exhausted',
  noun: 'Campaign Contact',
  label: 'Contact Unreachable',
  description: 'Triggers when the AI agent runs out of call attempts without reaching a contact.',
  outputFields: outputFields.CampaignContact,
  sample: { ...sampleContact, status: 'exhausted' },
  list: { path: '/campaigns/contacts', params: { status: 'exhausted' } },
});

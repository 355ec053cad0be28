import { sampleContact } from '../contract/samples';
import { createHookTrigger } from '../lib/hook-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createHookTrigger({
  key: 'campaign_contact_qualified',
  event: 'campaign.contact.qualified',
  noun: 'Campaign Contact',
  label: 'Contact Qualified',
  description: 'Triggers when the AI agent qualifies a campaign contact.',
  outputFields: outputFields.CampaignContact,
  sample: { ...sampleContact, status: 'qualified' },
  list: { path: '/campaigns/contacts', params: { status: 'qualified' } },
});

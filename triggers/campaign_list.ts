/** Hidden trigger behind the Campaign dropdown of "Add Contact to Campaign". */
import { sampleCampaign } from '../contract/samples';
import { createDropdownTrigger } from '../lib/dropdown-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createDropdownTrigger({
  key: 'campaign_list',
  noun: 'Campaign',
  description: 'Triggers when a new outbound campaign is created (used to fill the Campaign dropdown).',
  list: { path: '/campaigns' },
  outputFields: outputFields.Campaign,
  sample: sampleCampaign,
});

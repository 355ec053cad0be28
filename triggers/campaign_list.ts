/** Hidden trigger behind the Campaign dropdown of "Add Contact to Campaign". */
import { Campaign } from '../contract/resources';
import { sampleCampaign } from '../contract/samples';
import { createDropdownTrigger } from '../lib/dropdown-trigger';

export default createDropdownTrigger({
  key: 'campaign_list',
  noun: 'Campaign',
  description: 'Triggers when a new outbound campaign is created (used to fill the Campaign dropdown).',
  list: { path: '/campaigns' },
  schema: Campaign,
  sample: sampleCampaign,
});

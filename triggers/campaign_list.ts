/** Hidden trigger behind the Campaign dropdown of "Add Contact to Campaign". */
import { defineTrigger } from 'zapier-platform-core';
import type { Bundle, ZObject } from 'zapier-platform-core';

import type { Campaign as CampaignType } from '../contract/resources';
import { Campaign } from '../contract/resources';
import { sampleCampaign } from '../contract/samples';
import { apiList } from '../lib/client';
import { DROPDOWN_PAGE_SIZE } from '../lib/config';
import { outputFieldsFromSchema } from '../lib/output-fields';

const perform = async (z: ZObject, bundle: Bundle): Promise<CampaignType[]> =>
  // Zapier's bundle.meta.page starts at 0; the API's page starts at 1.
  apiList<CampaignType>(z, '/campaigns', { page: (bundle.meta?.page ?? 0) + 1, per_page: DROPDOWN_PAGE_SIZE });

export default defineTrigger({
  key: 'campaign_list',
  noun: 'Campaign',
  display: {
    label: 'Campaign List',
    description: 'Triggers when a new outbound campaign is created (used to fill the Campaign dropdown).',
    hidden: true,
  },
  operation: {
    type: 'polling',
    perform,
    canPaginate: true,
    sample: sampleCampaign,
    outputFields: outputFieldsFromSchema(Campaign),
  },
});

/** Hidden trigger behind the Agent dropdowns (the lead's outbound agent, an appointment's agent). */
import { defineTrigger } from 'zapier-platform-core';
import type { Bundle, ZObject } from 'zapier-platform-core';

import type { Agent as AgentType } from '../contract/resources';
import { Agent } from '../contract/resources';
import { sampleAgent } from '../contract/samples';
import { apiList } from '../lib/client';
import { DROPDOWN_PAGE_SIZE } from '../lib/config';
import { outputFieldsFromSchema } from '../lib/output-fields';

const perform = async (z: ZObject, bundle: Bundle): Promise<AgentType[]> =>
  // Zapier's bundle.meta.page starts at 0; the API's page starts at 1.
  apiList<AgentType>(z, '/agents', {
    direction: 'outbound',
    page: (bundle.meta?.page ?? 0) + 1,
    per_page: DROPDOWN_PAGE_SIZE,
  });

export default defineTrigger({
  key: 'agent_list',
  noun: 'Agent',
  display: {
    label: 'Agent List',
    description: 'Triggers when a new outbound agent is created (used to fill the Agent dropdown).',
    hidden: true,
  },
  operation: {
    type: 'polling',
    perform,
    canPaginate: true,
    sample: sampleAgent,
    outputFields: outputFieldsFromSchema(Agent),
  },
});

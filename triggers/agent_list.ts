/** Hidden trigger behind the Agent dropdowns (the lead's outbound agent, an appointment's agent). */
import { sampleAgent } from '../contract/samples';
import { createDropdownTrigger } from '../lib/dropdown-trigger';
import { outputFields } from '../lib/output-fields.generated';

export default createDropdownTrigger({
  key: 'agent_list',
  noun: 'Agent',
  description: 'Triggers when a new outbound agent is created (used to fill the Agent dropdown).',
  list: { path: '/agents', params: { direction: 'outbound' } },
  outputFields: outputFields.Agent,
  sample: sampleAgent,
});

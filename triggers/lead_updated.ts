import { createHookTrigger } from '../lib/hook-trigger';
import { LEAD_TRACKED } from '../lib/changes';
import { outputFields } from '../lib/output-fields.generated';
import { sampleUpdatedLead } from '../lib/samples';

export default createHookTrigger({
  key: 'lead_updated',
  event: 'lead.updated',
  noun: 'Lead',
  label: 'Updated Lead',
  description: "Triggers when a lead's details, status or agent change.",
  outputFields: outputFields.UpdatedLead,
  sample: sampleUpdatedLead,
  list: { path: '/leads', params: {} },
  changes: {
    tracked: LEAD_TRACKED,
    filters: {
      status_changed: { label: 'Status changes (e.g. booked)', fields: ['status'] },
      agent_changed: { label: 'Agent changes', fields: ['agent_id'] },
      contact_changed: { label: 'Name, phone or email changes', fields: ['full_name', 'phone', 'email'] },
    },
  },
});

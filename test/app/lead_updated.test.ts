import { sampleLead } from '../../contract/samples';
import { LEAD_TRACKED, withChanges } from '../../lib/changes';
import { UpdatedLead } from '../../lib/schemas';
import { describeHookTrigger } from './hook-trigger-suite';
import { describeUpdateFilters } from './update-trigger-suite';

const booked = { ...sampleLead, status: 'booked' as const, updated_at: '2026-05-14T13:00:00.000Z' };

describeHookTrigger({
  key: 'lead_updated',
  event: 'lead.updated',
  dataKey: 'lead',
  listPath: '/api/v1/leads',
  schema: UpdatedLead,
  item: booked,
  shape: (item) => withChanges(item, {}, LEAD_TRACKED),
});

describeUpdateFilters({
  key: 'lead_updated',
  event: 'lead.updated',
  dataKey: 'lead',
  schema: UpdatedLead,
  choices: ['status_changed', 'agent_changed', 'contact_changed'],
  change: {
    item: booked,
    previous_attributes: { status: 'new' },
    expected: {
      changed_fields: ['status'],
      previous_status: 'new',
      previous_agent_id: sampleLead.agent_id,
      previous_full_name: sampleLead.full_name,
      previous_phone: sampleLead.phone,
      previous_email: sampleLead.email,
    },
    passes: 'status_changed',
    leftOut: 'contact_changed',
  },
});

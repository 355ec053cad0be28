/** The contract schema of what each operation returns (its sample, its output and its output fields). */
import { Agent, Appointment, CalendarBlock, Campaign, CampaignContact, Lead } from '../../contract/resources';
import { CalendarUnblockResult, FoundSlot, UpdatedAppointment, UpdatedLead } from '../../lib/schemas';

/** The contract schema each operation's sample (and output) must conform to. */
export const SCHEMAS = {
  appointment_created: Appointment,
  appointment_updated: UpdatedAppointment,
  appointment_cancelled: Appointment,
  campaign_contact_qualified: CampaignContact,
  campaign_contact_not_interested: CampaignContact,
  campaign_contact_exhausted: CampaignContact,
  campaign_contact_callback_requested: CampaignContact,
  campaign_list: Campaign,
  campaign_contact: CampaignContact,
  calendar_block: CalendarBlock,
  calendar_unblock: CalendarUnblockResult,
  lead_created: Lead,
  lead_updated: UpdatedLead,
  agent_list: Agent,
  lead_list: Lead,
  appointment_list: Appointment,
  lead: Lead,
  lead_update: Lead,
  appointment: Appointment,
  appointment_update: Appointment,
  appointment_cancel: Appointment,
  find_lead: Lead,
  find_appointment: Appointment,
  find_available_slot: FoundSlot,
};

/**
 * One record's page data, through the same services as the API, within the signed-in clinic (another
 * clinic's id is "not found", like an unknown one): a lead with its latest appointments, an
 * appointment, a campaign contact.
 */
import type { Kysely } from 'kysely';
import type { Appointment, CampaignContact, Lead } from '../../../contract';
import type { Database } from '../../db/schema';
import { getAppointment, listAppointments } from '../../services/appointments';
import { getContact } from '../../services/campaigns';
import { getLead } from '../../services/leads';
import type { RecordLinks } from '../../services/serialize';

/** How many of a lead's appointments its page lists (newest first). */
export const LEAD_APPOINTMENTS = 20;

export interface LeadView {
  lead: Lead;
  appointments: Appointment[];
  totalAppointments: number;
}

export async function loadLead(db: Kysely<Database>, links: RecordLinks, clinicId: string, id: string): Promise<LeadView> {
  const lead = await getLead(db, links, clinicId, id);
  const appointments = await listAppointments(db, links, clinicId, { lead_id: id, page: 1, per_page: LEAD_APPOINTMENTS });
  return { lead, appointments: appointments.data, totalAppointments: appointments.meta.total };
}

export const loadAppointment = (db: Kysely<Database>, links: RecordLinks, clinicId: string, id: string): Promise<Appointment> =>
  getAppointment(db, links, clinicId, id);

export const loadContact = (db: Kysely<Database>, links: RecordLinks, clinicId: string, id: string): Promise<CampaignContact> =>
  getContact(db, links, clinicId, id);

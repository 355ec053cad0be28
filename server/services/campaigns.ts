/** Campaigns and campaign contacts, including the call outcomes that fire events. */
import { sql, type ExpressionBuilder } from 'kysely';
import type { z } from 'zod';
import type { Campaign, CampaignContact, CampaignListQuery, ContactCreate, ContactListQuery, ContactOutcome } from '../../contract';
import type { Database } from '../db/schema';
import { invalidInput, notFound } from '../errors';
import { recordEvent } from '../webhooks/outbox';
import { countedTotal, countOf, cursorPage, paginate, type CursorPage, type Page } from './pagination';
import { toCampaign, toContact, type RecordLinks } from './serialize';
import { inTransaction, type Db } from './transaction';

/** A contact is returned with its campaign's name: one correlated subquery (never null: a contact has its campaign). */
const campaignName = (eb: ExpressionBuilder<Database, 'campaign_contacts'>) =>
  eb
    .selectFrom('campaigns')
    .select('campaigns.name')
    .whereRef('campaigns.id', '=', 'campaign_contacts.campaign_id')
    .$asScalar()
    .$notNull()
    .as('campaign_name');

export async function listCampaigns(db: Db, clinicId: string, q: z.output<typeof CampaignListQuery>): Promise<Page<Campaign>> {
  const query = db.selectFrom('campaigns').where('campaigns.clinic_id', '=', clinicId);
  return paginate(
    query,
    q,
    (qb) =>
      qb
        .selectAll('campaigns')
        .select((eb) => eb.selectFrom('agents').select('agents.name').whereRef('agents.id', '=', 'campaigns.agent_id').as('agent_name'))
        .select((eb) =>
          eb
            .selectFrom('campaign_contacts')
            .select(eb.fn.countAll<number>().as('n'))
            .whereRef('campaign_contacts.campaign_id', '=', 'campaigns.id')
            .as('total_contacts'),
        )
        .orderBy('campaigns.created_at', 'desc')
        .orderBy('campaigns.id', 'desc'),
    (row) => toCampaign({ ...row, total_contacts: row.total_contacts ?? 0 }),
  );
}

/** Calling codes we can check against a country, for the validation_status hint. */
export const CALLING_CODES: Readonly<Record<string, string>> = {
  US: '+1',
  CA: '+1',
  GB: '+44',
  AU: '+61',
  NZ: '+64',
  IE: '+353',
  DE: '+49',
  FR: '+33',
  ES: '+34',
  IT: '+39',
  NL: '+31',
  BE: '+32',
  PT: '+351',
  CH: '+41',
  AT: '+43',
  SE: '+46',
  NO: '+47',
  DK: '+45',
  MX: '+52',
  BR: '+55',
  AE: '+971',
  TR: '+90',
  IN: '+91',
  ZA: '+27',
};

/**
 * The contact is stored either way; `needs_review` flags what the outbound agent should not call
 * blindly: a country other than the campaign's target, or a phone whose calling code contradicts
 * the given country.
 */
export function validateContact(contact: { phone: string; country?: string | null }, targetCountry: string | null): string[] {
  const messages: string[] = [];
  if (targetCountry && contact.country && contact.country !== targetCountry) {
    messages.push(`country ${contact.country} differs from the campaign's target country ${targetCountry}`);
  }
  const country = contact.country ?? targetCountry;
  const code = country ? CALLING_CODES[country] : undefined;
  if (code && !contact.phone.startsWith(code)) {
    messages.push(`phone ${contact.phone} does not start with ${country}'s calling code ${code}`);
  }
  return messages;
}

export async function addContact(
  db: Db,
  links: RecordLinks,
  clinicId: string,
  campaignId: string,
  input: ContactCreate,
): Promise<CampaignContact> {
  const campaign = await db
    .selectFrom('campaigns')
    .select(['id', 'name', 'status', 'target_country'])
    .where('clinic_id', '=', clinicId)
    .where('id', '=', campaignId)
    .executeTakeFirst();
  if (!campaign) throw notFound('Campaign');
  if (campaign.status !== 'active')
    throw invalidInput(`The campaign is ${campaign.status}; contacts can only be added to an active campaign`);
  const messages = validateContact(input, campaign.target_country);
  const row = await db
    .insertInto('campaign_contacts')
    .values({
      clinic_id: clinicId,
      campaign_id: campaignId,
      name: input.name,
      phone: input.phone,
      interest: input.interest,
      city: input.city,
      country: input.country ?? null,
      email: input.email ?? null,
      language: input.language ?? null,
      notes: input.notes ?? null,
      validation_status: messages.length > 0 ? 'needs_review' : 'valid',
      validation_messages: JSON.stringify(messages),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toContact({ ...row, campaign_name: campaign.name }, links);
}

/**
 * A page of the clinic's contacts, most recently changed first, by page number or cursor. The
 * total is the kept count (migration 011) without filters or with `status` alone; with
 * `campaign_id` it counts the campaign's matching contacts.
 */
export async function listContacts(
  db: Db,
  links: RecordLinks,
  clinicId: string,
  q: z.output<typeof ContactListQuery>,
): Promise<CursorPage<CampaignContact>> {
  let query = db.selectFrom('campaign_contacts').where('clinic_id', '=', clinicId);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.campaign_id) query = query.where('campaign_id', '=', q.campaign_id);
  return cursorPage(
    {
      db,
      table: 'campaign_contacts',
      clinicId,
      orderBy: 'updated_at',
      query,
      total: q.campaign_id ? countOf(query) : countedTotal(db, clinicId, 'campaign_contacts', q.status),
      select: (qb) => qb.selectAll().select(campaignName),
      map: (row) => toContact(row, links),
      noun: 'a contact',
    },
    q,
  );
}

export async function getContact(db: Db, links: RecordLinks, clinicId: string, id: string): Promise<CampaignContact> {
  const row = await db
    .selectFrom('campaign_contacts')
    .selectAll()
    .select(campaignName)
    .where('clinic_id', '=', clinicId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Campaign contact');
  return toContact(row, links);
}

/** The AI agent's call outcome: one more attempt, the new status, and its webhook event. */
export async function recordContactOutcome(
  db: Db,
  links: RecordLinks,
  clinicId: string,
  contactId: string,
  outcome: z.infer<typeof ContactOutcome>,
): Promise<CampaignContact> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('campaign_contacts')
      .set({ status: outcome, attempts: sql`attempts + 1`, last_attempt_at: sql`now()`, updated_at: sql`now()` })
      .where('clinic_id', '=', clinicId)
      .where('id', '=', contactId)
      .returningAll()
      .returning(campaignName)
      .executeTakeFirst();
    if (!row) throw notFound('Campaign contact');
    const contact = toContact(row, links);
    await recordEvent(trx, clinicId, `campaign.contact.${outcome}`, contact);
    return contact;
  });
}

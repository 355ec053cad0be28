/** The contacts page's data: one page of contacts, the count behind every status tab, the campaigns. */
import type { Kysely } from 'kysely';
import { CONTACT_STATUSES } from '../../../contract';
import type { Database } from '../../db/schema';
import { listCampaigns, listContacts } from '../../services/campaigns';
import type { RecordLinks } from '../../services/serialize';
import type { ContactsView, StatusTab } from '../views/contacts';

export const CONTACTS_PER_PAGE = 25;

export async function loadContacts(
  db: Kysely<Database>,
  links: RecordLinks,
  clinicId: string,
  { status, campaignId, page }: { status: StatusTab; campaignId: string | undefined; page: number },
): Promise<ContactsView> {
  const perPage = CONTACTS_PER_PAGE;
  const tabs: StatusTab[] = ['all', ...CONTACT_STATUSES];
  const totals = await Promise.all(
    tabs.map(
      async (t) =>
        (await listContacts(db, links, clinicId, { status: t === 'all' ? undefined : t, campaign_id: campaignId, page: 1, per_page: 1 }))
          .meta.total,
    ),
  );
  const list = await listContacts(db, links, clinicId, {
    status: status === 'all' ? undefined : status,
    campaign_id: campaignId,
    page,
    per_page: perPage,
  });
  const campaigns = await listCampaigns(db, clinicId, { page: 1, per_page: 100 });
  return {
    status,
    campaignId,
    campaigns: campaigns.data,
    counts: Object.fromEntries(tabs.map((t, i) => [t, totals[i] ?? 0])) as Record<StatusTab, number>,
    contacts: list.data,
    page,
    perPage,
    total: list.meta.total,
  };
}

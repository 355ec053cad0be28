/** Campaign contacts by status, with the outcome buttons that stand in for the AI agent's call. */
import { html, raw } from 'hono/html';
import { CONTACT_OUTCOMES, CONTACT_STATUSES, type Campaign, type CampaignContact } from '../../../contract';
import type { DashboardSession } from '../session';
import { csrfField, formatDateTime, page, statusBadge, type Flash, type Html } from './layout';

export type StatusTab = (typeof CONTACT_STATUSES)[number] | 'all';

export interface ContactsView {
  status: StatusTab;
  campaignId?: string;
  campaigns: Campaign[];
  counts: Record<StatusTab, number>;
  contacts: CampaignContact[];
  page: number;
  perPage: number;
  total: number;
}

export const OUTCOME_LABELS: Record<(typeof CONTACT_OUTCOMES)[number], string> = {
  qualified: 'Qualified',
  not_interested: 'Not interested',
  exhausted: 'Exhausted',
  callback_requested: 'Callback requested',
};

const TAB_LABELS: Record<StatusTab, string> = { all: 'All', pending: 'Pending', ...OUTCOME_LABELS };

function query(v: ContactsView, changes: { status?: StatusTab; page?: number }): string {
  const params = new URLSearchParams();
  const status = changes.status ?? v.status;
  if (status !== 'all') params.set('status', status);
  if (v.campaignId) params.set('campaign_id', v.campaignId);
  const p = changes.page ?? 1;
  if (p > 1) params.set('page', String(p));
  const s = params.toString();
  return `/dashboard/contacts${s ? `?${s}` : ''}`;
}

function row(session: DashboardSession, v: ContactsView, c: CampaignContact, campaignName: string): Html {
  return html`<tr data-contact-id="${c.id}">
<td><strong>${c.name}</strong><div class="muted">${c.interest} · ${c.city}${c.country ? `, ${c.country}` : ''}</div></td>
<td class="mono">${c.phone}${c.email ? html`<div class="muted">${c.email}</div>` : ''}</td>
<td>${campaignName}</td>
<td class="status">${statusBadge(c.status)}${c.validation_status === 'needs_review' ? html`<div><span class="badge warn" title="${c.validation_messages.join('; ')}">needs review</span></div>` : ''}</td>
<td>${c.attempts}<div class="muted">${c.last_attempt_at ? formatDateTime(c.last_attempt_at, session.timeZone) : 'not called'}</div></td>
<td><form method="post" action="/dashboard/contacts/${c.id}/outcome" class="actions">${csrfField(session)}
<input type="hidden" name="back" value="${query(v, { page: v.page })}">
${CONTACT_OUTCOMES.map(
  (o) =>
    html`<button class="secondary small" type="submit" name="status" value="${o}"${c.status === o ? raw(' disabled') : ''}>${OUTCOME_LABELS[o]}</button>`,
)}</form></td>
</tr>`;
}

export function contactsPage(session: DashboardSession, v: ContactsView, flash?: Flash): Html {
  const names = new Map(v.campaigns.map((c) => [c.id, c.name]));
  const tabs: StatusTab[] = ['all', ...CONTACT_STATUSES];
  const pages = Math.max(1, Math.ceil(v.total / v.perPage));
  return page({
    title: 'Campaign contacts',
    section: 'contacts',
    session,
    flash,
    body: html`<h1>Campaign contacts</h1>
<p class="sub">Contacts added to outbound campaigns (for example by the Zapier action "Add Contact to Campaign"). The outcome buttons record a call
outcome as the AI agent would: the status changes, the attempt is counted and the matching <code>campaign.contact.*</code> webhook fires.</p>
<nav class="tabs" aria-label="Status">${tabs.map(
      (t) =>
        html`<a href="${query(v, { status: t })}"${t === v.status ? raw(' aria-current="page"') : ''}>${TAB_LABELS[t]}<span class="count">${v.counts[t]}</span></a>`,
    )}</nav>
<form class="toolbar" method="get" action="/dashboard/contacts">
${v.status !== 'all' ? html`<input type="hidden" name="status" value="${v.status}">` : ''}
<label for="campaign" class="muted">Campaign</label>
<select id="campaign" name="campaign_id"><option value="">All campaigns</option>${v.campaigns.map(
      (c) => html`<option value="${c.id}"${c.id === v.campaignId ? raw(' selected') : ''}>${c.name}</option>`,
    )}</select>
<button class="secondary" type="submit">Filter</button>
</form>
<div class="table"><table>
<thead><tr><th>Contact</th><th>Phone / email</th><th>Campaign</th><th>Status</th><th>Attempts</th><th>Record outcome</th></tr></thead>
<tbody>
${v.contacts.length === 0 ? html`<tr><td colspan="6" class="muted">No contacts${v.status === 'all' ? '' : ` with status ${TAB_LABELS[v.status].toLowerCase()}`}.</td></tr>` : ''}
${v.contacts.map((c) => row(session, v, c, names.get(c.campaign_id) ?? ''))}
</tbody></table></div>
${
  pages > 1
    ? html`<div class="pager">${v.page > 1 ? html`<a href="${query(v, { page: v.page - 1 })}">← Newer</a>` : ''}
<span class="muted">Page ${v.page} of ${pages}</span>${v.page < pages ? html`<a href="${query(v, { page: v.page + 1 })}">Older →</a>` : ''}</div>`
    : ''
}`,
  });
}

/** Campaign contacts by status tab and campaign, and recording a contact's outcome. */
import { CONTACT_OUTCOMES, CONTACT_STATUSES } from '../../../contract';
import type { ServerDeps } from '../../context';
import { ApiError } from '../../errors';
import { recordContactOutcome } from '../../services/campaigns';
import { loadContacts } from '../loaders/contacts';
import { field } from '../security';
import { contactsPage, OUTCOME_LABELS, type StatusTab } from '../views/contacts';
import type { Flash } from '../views/layout';
import { render, safeNext, Uuid, type DashboardApp } from './common';

export function registerContactPages(dash: DashboardApp, { database: { db }, config: links }: ServerDeps): void {
  dash.get('/contacts', async (c) => {
    const session = c.var.session;
    const statusParam = c.req.query('status');
    const status: StatusTab = (CONTACT_STATUSES as readonly string[]).includes(statusParam ?? '') ? (statusParam as StatusTab) : 'all';
    const campaignParam = Uuid.safeParse(c.req.query('campaign_id'));
    const campaignId = campaignParam.success ? campaignParam.data : undefined;
    const page = Math.min(Math.max(1, Number.parseInt(c.req.query('page') ?? '1', 10) || 1), 10_000);
    const view = await loadContacts(db, links, session.clinicId, { status, campaignId, page });
    const done = c.req.query('done');
    const flash: Flash | undefined =
      done && done in OUTCOME_LABELS
        ? { kind: 'ok', text: `Outcome recorded: ${OUTCOME_LABELS[done as keyof typeof OUTCOME_LABELS]}.` }
        : undefined;
    return render(c, contactsPage(session, view, flash));
  });

  dash.post('/contacts/:id/outcome', async (c) => {
    const id = Uuid.safeParse(c.req.param('id'));
    if (!id.success) throw new ApiError(404, 'not_found', 'Campaign contact not found');
    const outcome = field(c.var.form, 'status');
    if (!(CONTACT_OUTCOMES as readonly string[]).includes(outcome)) throw new ApiError(400, 'invalid_input', 'Unknown outcome');
    await recordContactOutcome(db, links, c.var.session.clinicId, id.data, outcome as (typeof CONTACT_OUTCOMES)[number]);
    const back = safeNext(field(c.var.form, 'back'));
    const target = back?.startsWith('/dashboard/contacts') ? back : '/dashboard/contacts';
    return c.redirect(`${target}${target.includes('?') ? '&' : '?'}done=${outcome}`, 303);
  });
}

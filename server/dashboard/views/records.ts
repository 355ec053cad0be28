/** One lead, appointment or campaign contact: the page a record's `url` opens. */
import { html } from 'hono/html';
import type { Appointment, CampaignContact } from '../../../contract';
import type { LeadView } from '../loaders/records';
import type { DashboardSession } from '../session';
import { formatDateTime, page, statusBadge, type Html } from './layout';

type Value = Html | string | number | null;

/** Label / value rows; an empty value shows as a dash. */
function fields(rows: Array<[string, Value]>): Html {
  return html`<dl class="fields">${rows.map(
    ([label, value]) => html`<dt>${label}</dt><dd>${value === null || value === '' ? html`<span class="muted">—</span>` : value}</dd>`,
  )}</dl>`;
}

const leadLink = (id: string, name: string) => html`<a href="/dashboard/leads/${id}">${name}</a>`;
const when = (a: Appointment, tz: string) => `${formatDateTime(a.scheduled_at, tz)} – ${formatDateTime(a.ends_at, tz)}`;

export function leadPage(session: DashboardSession, { lead, appointments, totalAppointments }: LeadView): Html {
  const tz = session.timeZone;
  const name = lead.full_name ?? lead.email ?? lead.phone ?? 'Lead';
  return page({
    title: name,
    session,
    body: html`<h1>${name}</h1><p class="sub">Lead</p>
<div class="card" data-lead-id="${lead.id}">${fields([
      ['Status', statusBadge(lead.status)],
      ['Phone', lead.phone],
      ['Email', lead.email],
      ['Location', [lead.city, lead.country].filter(Boolean).join(', ')],
      ['Language', lead.language],
      ['Treatment interest', lead.treatment_interest],
      ['Source', lead.source],
      ['Agent', lead.agent_name],
      ['External record', lead.external_source ? `${lead.external_source} · ${lead.external_id}` : null],
      ['Notes', lead.notes],
      ['Created', formatDateTime(lead.created_at, tz)],
      ['Updated', formatDateTime(lead.updated_at, tz)],
    ])}</div>
<h2>Appointments (${totalAppointments})</h2>
${
  appointments.length === 0
    ? html`<p class="muted">No appointments.</p>`
    : html`<div class="table"><table><thead><tr><th>When</th><th>Title</th><th>Status</th></tr></thead><tbody>${appointments.map(
        (a) =>
          html`<tr><td><a href="/dashboard/appointments/${a.id}">${when(a, tz)}</a></td><td>${a.title ?? ''}</td><td>${statusBadge(a.status)}</td></tr>`,
      )}</tbody></table></div>`
}`,
  });
}

export function appointmentPage(session: DashboardSession, a: Appointment): Html {
  const tz = session.timeZone;
  const lead = a.lead_full_name ?? a.lead_email ?? a.lead_phone ?? 'Lead';
  return page({
    title: a.title ?? 'Appointment',
    section: 'calendar',
    session,
    body: html`<h1>${a.title ?? 'Appointment'}</h1><p class="sub">Appointment, in clinic time (${tz})</p>
<div class="card" data-appointment-id="${a.id}">${fields([
      ['When', when(a, tz)],
      ['Status', statusBadge(a.status)],
      ['Lead', leadLink(a.lead_id, lead)],
      ['Lead phone', a.lead_phone],
      ['Lead email', a.lead_email],
      ['Agent', a.assigned_to_name],
      ['Notes', a.notes],
      ['Booked', formatDateTime(a.created_at, tz)],
      ['Cancelled', a.cancelled_at ? formatDateTime(a.cancelled_at, tz) : null],
    ])}</div>`,
  });
}

export function contactPage(session: DashboardSession, c: CampaignContact): Html {
  const tz = session.timeZone;
  return page({
    title: c.name,
    section: 'contacts',
    session,
    body: html`<h1>${c.name}</h1><p class="sub">Campaign contact</p>
<div class="card" data-contact-id="${c.id}">${fields([
      ['Campaign', html`<a href="/dashboard/contacts?campaign_id=${c.campaign_id}">${c.campaign_name}</a>`],
      ['Status', statusBadge(c.status)],
      ['Phone', c.phone],
      ['Email', c.email],
      ['Interest', c.interest],
      ['Location', [c.city, c.country].filter(Boolean).join(', ')],
      ['Language', c.language],
      ['Validation', c.validation_status === 'valid' ? 'valid' : `needs review: ${c.validation_messages.join('; ')}`],
      ['Call attempts', c.attempts],
      ['Last attempt', c.last_attempt_at ? formatDateTime(c.last_attempt_at, tz) : null],
      ['Notes', c.notes],
      ['Added', formatDateTime(c.created_at, tz)],
    ])}</div>`,
  });
}

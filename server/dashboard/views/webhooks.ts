/** Webhooks: every subscription of the clinic, each with its recent deliveries and a redeliver button. */
import { html } from 'hono/html';
import type { Webhook, WebhookDelivery } from '../../../contract';
import type { DashboardSession } from '../session';
import { csrfField, formatDateTime, formatStamp, page, statusBadge, type Flash, type Html } from './layout';

export interface SubscriptionView {
  webhook: Webhook;
  keyName: string;
  keyPrefix: string;
  keyRevoked: boolean;
  deliveries: WebhookDelivery[];
  totalDeliveries: number;
}

function lastAttempt(d: WebhookDelivery) {
  return d.attempts[d.attempts.length - 1];
}

function deliveryRow(session: DashboardSession, w: Webhook, d: WebhookDelivery): Html {
  const last = lastAttempt(d);
  const tz = session.timeZone;
  return html`<tr data-delivery-id="${d.id}">
<td class="nowrap">${formatStamp(d.created_at, tz)}</td>
<td class="mono nowrap">${d.event_type}</td>
<td class="nowrap">${statusBadge(d.status)}${d.status === 'pending' && d.next_attempt_at ? html`<div class="muted">retry ${formatStamp(d.next_attempt_at, tz)}</div>` : ''}</td>
<td class="attempts">${d.attempts.length}</td>
<td>${last ? (last.response_status === null ? html`<span class="muted" title="${last.error ?? ''}">no response</span>` : String(last.response_status)) : html`<span class="muted">—</span>`}</td>
<td class="nowrap">${last ? `${last.latency_ms} ms` : html`<span class="muted">—</span>`}</td>
<td class="mono muted" title="${d.id}">${d.id.slice(0, 16)}…</td>
<td><form class="inline" method="post" action="/dashboard/webhooks/${w.id}/deliveries/${d.id}/redeliver">${csrfField(session)}<button class="secondary small" type="submit">Redeliver</button></form></td>
</tr>`;
}

export function webhooksPage(session: DashboardSession, subscriptions: SubscriptionView[], flash?: Flash): Html {
  return page({
    title: 'Webhooks',
    section: 'webhooks',
    session,
    flash,
    body: html`<h1>Webhooks</h1>
<p class="sub">Subscriptions are created through the API (<code>POST /api/v1/webhooks</code>), for example by the Zapier app when a Zap is turned on.
Each delivery is signed and retried on failure; redeliver sends the same event again with a fresh signature.</p>
${subscriptions.length === 0 ? html`<div class="card muted">No webhook subscriptions yet.</div>` : ''}
${subscriptions.map(
  (s) => html`<section class="card" data-webhook-id="${s.webhook.id}">
<div class="toolbar"><strong class="mono">${s.webhook.url}</strong> ${statusBadge(s.webhook.status)}<span class="spacer"></span>
<span class="muted">key ${s.keyName} (<span class="mono">${s.keyPrefix}…</span>)${s.keyRevoked ? ' · revoked' : ''} · created ${formatDateTime(s.webhook.created_at, session.timeZone)}</span>
${s.webhook.status === 'disabled' && !s.keyRevoked ? html`<form class="inline" method="post" action="/dashboard/webhooks/${s.webhook.id}/enable">${csrfField(session)}<button class="secondary small" type="submit">Re-enable</button></form>` : ''}
<form class="inline" method="post" action="/dashboard/webhooks/${s.webhook.id}/delete">${csrfField(session)}<button class="secondary small" type="submit">Delete</button></form></div>
${s.webhook.disabled_reason ? html`<div class="flash bad">${s.webhook.disabled_reason}</div>` : ''}
<p class="muted">Events: <span class="mono">${s.webhook.events.join(', ')}</span></p>
<div class="table"><table>
<thead><tr><th>Created</th><th>Event</th><th>Status</th><th>Attempts</th><th>Response</th><th>Latency</th><th>Delivery ID</th><th></th></tr></thead>
<tbody>
${s.deliveries.length === 0 ? html`<tr><td colspan="8" class="muted">No deliveries yet.</td></tr>` : s.deliveries.map((d) => deliveryRow(session, s.webhook, d))}
</tbody></table></div>
${s.totalDeliveries > s.deliveries.length ? html`<p class="muted">Showing the ${s.deliveries.length} most recent of ${s.totalDeliveries} deliveries.</p>` : ''}
</section>`,
)}`,
  });
}

/** Setup → API keys: the create form, the list with revoke buttons, and the one-time result page. */
import { html } from 'hono/html';
import { SCOPES } from '../../../contract';
import type { ApiKeyRow } from '../../db/schema';
import type { DashboardSession } from '../session';
import { csrfField, formatDateTime, page, statusBadge, type Flash, type Html } from './layout';

export interface KeyForm {
  name: string;
  scopes: readonly string[];
  error?: string;
}

function createForm(session: DashboardSession, form: KeyForm): Html {
  return html`<div class="card">
<h2>Create an API key</h2>
${form.error ? html`<div class="flash bad" role="alert">${form.error}</div>` : ''}
<form method="post" action="/dashboard/setup/api-keys">
${csrfField(session)}
<div class="field"><label for="key-name">Name</label>
<input id="key-name" name="name" type="text" maxlength="100" required placeholder="e.g. Zapier" value="${form.name}"></div>
<div class="field"><label>Scopes</label>
<div class="checks">${SCOPES.map(
    (scope) =>
      html`<label><input type="checkbox" name="scopes" value="${scope}"${form.scopes.includes(scope) ? html` checked` : ''}> <span class="mono">${scope}</span></label>`,
  )}</div></div>
<button type="submit">Create key</button>
</form>
</div>`;
}

export function apiKeysPage(session: DashboardSession, keys: ApiKeyRow[], form: KeyForm, maxLive: number, flash?: Flash): Html {
  const tz = session.timeZone;
  return page({
    title: 'API keys',
    section: 'api-keys',
    session,
    flash,
    body: html`<h1>API keys</h1>
<p class="sub">Keys let your systems (and the QualifyBase Zapier app) use the API for ${session.clinicName}. Send a key as
<code>Authorization: Bearer qbk_live_…</code>. The full key is shown once, when it is created; we keep only a hash.
A clinic can have up to ${maxLive} live keys, each with a name of its own (a Zapier connection shows the clinic's name and the key's), which share the clinic's request budget: revoke the keys you no longer use.</p>
${createForm(session, form)}
<h2>Your keys</h2>
<div class="table"><table>
<thead><tr><th>Name</th><th>Prefix</th><th>Scopes</th><th>Created</th><th>Last used</th><th>Status</th><th></th></tr></thead>
<tbody>
${keys.length === 0 ? html`<tr><td colspan="7" class="muted">No keys yet.</td></tr>` : ''}
${keys.map(
  (k) => html`<tr data-key-id="${k.id}">
<td>${k.name}</td>
<td class="mono">${k.prefix}…</td>
<td>${k.scopes.length === SCOPES.length ? html`<span class="muted">all (${k.scopes.length})</span>` : html`<span class="mono">${k.scopes.join(', ')}</span>`}</td>
<td>${formatDateTime(k.created_at, tz)}</td>
<td>${k.last_used_at ? formatDateTime(k.last_used_at, tz) : html`<span class="muted">never</span>`}</td>
<td>${k.revoked_at ? html`${statusBadge('revoked')}<div class="muted">${formatDateTime(k.revoked_at, tz)}</div>` : statusBadge('active')}</td>
<td>${
    k.revoked_at
      ? ''
      : html`<form class="inline" method="post" action="/dashboard/setup/api-keys/${k.id}/revoke">${csrfField(session)}<button class="danger small" type="submit">Revoke</button></form>`
  }</td>
</tr>`,
)}
</tbody></table></div>`,
  });
}

export function keyCreatedPage(session: DashboardSession, row: ApiKeyRow, key: string): Html {
  return page({
    title: 'API key created',
    section: 'api-keys',
    session,
    flash: { kind: 'ok', text: `API key "${row.name}" created.` },
    body: html`<h1>Your new API key</h1>
<div class="card">
<p><strong>Copy this key now.</strong> It will not be shown again: QualifyBase stores only a hash of it.</p>
<code class="secret" id="new-api-key">${key}</code>
<p class="muted">Scopes: <span class="mono">${row.scopes.join(', ')}</span></p>
<p>Paste it into the QualifyBase connection in Zapier, or try it:</p>
<code class="secret">curl -s "$QB_HOST/api/v1/me" -H "Authorization: Bearer ${key}"</code>
<p><a class="button" href="/dashboard/setup/api-keys">Done</a></p>
</div>`,
  });
}

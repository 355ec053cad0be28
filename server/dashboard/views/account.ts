/** Account: the signed-in user's password, and signing out every session. */
import { html } from 'hono/html';
import { MIN_PASSWORD_LENGTH } from '../../services/users';
import type { DashboardSession } from '../session';
import { csrfField, page, type Flash, type Html } from './layout';

export function accountPage(session: DashboardSession, opts: { flash?: Flash; error?: string } = {}): Html {
  return page({
    title: 'Account',
    section: 'account',
    session,
    flash: opts.flash,
    body: html`<h1>Account</h1>
<p class="sub">Signed in as <strong>${session.email}</strong> for ${session.clinicName}.</p>
<div class="card">
<h2>Change password</h2>
${opts.error ? html`<div class="flash bad" role="alert">${opts.error}</div>` : ''}
<form method="post" action="/dashboard/account/password">
${csrfField(session)}
<input type="text" name="username" autocomplete="username" value="${session.email}" hidden>
<div class="field"><label for="current-password">Current password</label>
<input id="current-password" name="current_password" type="password" autocomplete="current-password" required></div>
<div class="field"><label for="new-password">New password</label>
<input id="new-password" name="new_password" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required>
<div class="muted">At least ${MIN_PASSWORD_LENGTH} characters. Every other session of yours is signed out.</div></div>
<div class="field"><label for="confirm-password">New password again</label>
<input id="confirm-password" name="confirm_password" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required></div>
<button type="submit">Change password</button>
</form>
</div>
<div class="card">
<h2>Sign out everywhere</h2>
<p>Ends every session of yours, in every browser, this one included. Use it when a device was lost or shared.</p>
<form method="post" action="/dashboard/account/sign-out-everywhere">${csrfField(session)}<button class="danger" type="submit">Sign out everywhere</button></form>
</div>`,
  });
}

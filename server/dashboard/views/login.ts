/** The sign-in page. */
import { html } from 'hono/html';
import { barePage, type Html } from './layout';

export function loginPage(opts: { csrf: string; email?: string; error?: string; next?: string; notice?: string }): Html {
  return barePage(
    'Sign in',
    html`<div class="login card">
<h1>Sign in to your clinic</h1>
${opts.notice ? html`<div class="flash ok" role="status">${opts.notice}</div>` : ''}
${opts.error ? html`<div class="flash bad" role="alert">${opts.error}</div>` : ''}
<form method="post" action="/dashboard/login">
<input type="hidden" name="_csrf" value="${opts.csrf}">
${opts.next ? html`<input type="hidden" name="next" value="${opts.next}">` : ''}
<div class="field"><label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${opts.email ?? ''}"></div>
<div class="field"><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit">Sign in</button>
</form>
</div>`,
  );
}

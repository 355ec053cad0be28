/** Account: change password (current one required; the session is rotated, other sessions end) and sign out everywhere. */
import type { ServerDeps } from '../../context';
import { throttledAddress } from '../../http/client-address';
import { rateLimitRefusals } from '../../metrics';
import { BUSY_RETRY_AFTER_SECONDS, PasswordHashingBusy } from '../../services/passwords';
import { newPasswordProblem, setPassword } from '../../services/users';
import { clearSessionCookie, field, setSessionCookie } from '../security';
import { destroyUserSessions, rotateUserSessions, signIn } from '../session';
import { accountPage } from '../views/account';
import type { Flash } from '../views/layout';
import { LOGIN_PATH, render, type Ctx, type DashboardApp } from './common';

const ACCOUNT_FLASH: Record<string, string> = {
  password: 'Your password was changed. Every other session of yours was signed out.',
};

export function registerAccountPages(dash: DashboardApp, { database: { db }, config }: ServerDeps): void {
  dash.get('/account', (c) => {
    const text = ACCOUNT_FLASH[c.req.query('done') ?? ''];
    const flash: Flash | undefined = text ? { kind: 'ok', text } : undefined;
    return render(c, accountPage(c.var.session, { flash }));
  });

  dash.post('/account/password', async (c) => {
    const session = c.var.session;
    const form = c.var.form;
    const current = field(form, 'current_password');
    const fresh = field(form, 'new_password');
    const refused = (error: string, status: 400 | 401 | 429 | 503) => render(c, accountPage(session, { error }), status);
    const problem = newPasswordProblem(fresh, field(form, 'confirm_password'), current);
    if (problem) return refused(problem, 400);
    // The current password is checked as a sign-in is: counted first, throttled, through the hash gate.
    const check = await signIn(db, session.email, current, throttledAddress(c, config));
    if (!check.ok) {
      if (check.reason === 'invalid') return refused('The current password is incorrect.', 401);
      c.header('Retry-After', String(check.retryAfterSeconds));
      if (check.reason === 'busy') return refused('Too many passwords are being checked right now. Try again in a few seconds.', 503);
      rateLimitRefusals.inc({ limiter: 'dashboard_login' });
      return refused(`Too many wrong passwords. Try again in ${check.retryAfterSeconds} seconds.`, 429);
    }
    try {
      await setPassword(db, session.userId, fresh);
    } catch (error) {
      if (!(error instanceof PasswordHashingBusy)) throw error;
      c.header('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
      return refused('Too many passwords are being checked right now. Try again in a few seconds.', 503);
    }
    setSessionCookie(c, (await rotateUserSessions(db, session.userId)).token);
    return c.redirect('/dashboard/account?done=password', 303);
  });

  dash.post('/account/sign-out-everywhere', async (c: Ctx) => {
    await destroyUserSessions(db, c.var.session.userId);
    clearSessionCookie(c);
    return c.redirect(`${LOGIN_PATH}?signed_out=everywhere`, 303);
  });
}

/**
 * Issue 19, item 6: the dashboard had no password change and no "sign out everywhere". Now a user
 * changes the password with the current one (the session is rotated: this browser gets a new one,
 * every other session ends) and can end every session.
 */
import { createHash } from 'node:crypto';
import { verifyPassword } from '../services/passwords';
import { createUser } from '../services/users';
import { backends } from './support/databases';
import { cookieValue, csrfIn, dashboardClient, http, type SignedIn } from './support/dashboard';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

const PASSWORD = 'a long enough password';
const NEW_PASSWORD = 'another long passphrase';

describe.each(backends())('the account page on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let n = 0;

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Account Clinic');
  });
  afterAll(() => srv.close());

  const db = () => srv.running.deps.database.db;
  const client = () => dashboardClient(srv.url);
  const opens = async (s: SignedIn) => (await http(srv.url, 'GET', '/dashboard/calendar', { cookie: s.cookie })).status === 200;

  async function user(): Promise<{ email: string; id: string }> {
    const email = `user${++n}@account.test`;
    const created = await createUser(db(), clinic.clinic.id, email, PASSWORD);
    return { email, id: created.id };
  }

  const change = (s: SignedIn, form: Record<string, string>) =>
    http(srv.url, 'POST', '/dashboard/account/password', { cookie: s.cookie, form: { _csrf: s.token, ...form } });

  it('changes the password with the current one, moves this browser to a new session, and signs out every other session of the user', async () => {
    const { email, id } = await user();
    const here = await client().session(email, PASSWORD);
    const elsewhere = await client().session(email, PASSWORD);
    const colleague = await user();
    const theirs = await client().session(colleague.email, PASSWORD);

    const page = await http(srv.url, 'GET', '/dashboard/account', { cookie: here.cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/dashboard/account/password"');
    expect(page.text).toContain('action="/dashboard/account/sign-out-everywhere"');

    const res = await change(here, { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/account?done=password');
    // The session is rotated: a new id for this browser, the one it had (a copy of which may have leaked) ends too.
    const rotated = cookieValue(res.cookies, 'qb_session');
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(here.raw);
    const next = `qb_session=${rotated}`;
    expect(await opens({ ...here, cookie: next })).toBe(true);
    expect(await opens(here)).toBe(false);
    expect(await opens(elsewhere)).toBe(false);
    expect(await opens(theirs)).toBe(true);
    const sessions = await db().selectFrom('dashboard_sessions').select('id').where('user_id', '=', id).execute();
    expect(sessions).toEqual([{ id: createHash('sha256').update(rotated!, 'utf8').digest('hex') }]);
    const shown = await http(srv.url, 'GET', '/dashboard/account?done=password', { cookie: next });
    expect(shown.text).toContain('Your password was changed. Every other session of yours was signed out.');
    expect(csrfIn(shown.text)).not.toBe(here.token);
    const stored = await db().selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword(NEW_PASSWORD, stored.password_hash)).toBe(true);
    expect((await client().signIn(email, PASSWORD)).status).toBe(401);
    expect((await client().signIn(email, NEW_PASSWORD)).status).toBe(303);
  });

  it('refuses a wrong current password, a short, mismatched or unchanged new one, and a POST without the form token', async () => {
    const { email, id } = await user();
    const s = await client().session(email, PASSWORD);
    const before = (await db().selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow()).password_hash;
    const cases: Array<[Record<string, string>, number, string]> = [
      [
        { current_password: 'wrong password', new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD },
        401,
        'The current password is incorrect.',
      ],
      [{ current_password: PASSWORD, new_password: 'short', confirm_password: 'short' }, 400, 'at least 12 characters'],
      [{ current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: `${NEW_PASSWORD}!` }, 400, 'are not the same'],
      [{ current_password: PASSWORD, new_password: PASSWORD, confirm_password: PASSWORD }, 400, 'must differ from the current one'],
    ];
    for (const [form, status, message] of cases) {
      const res = await change(s, form);
      expect(res.status).toBe(status);
      expect(res.text).toContain(message);
    }
    const noToken = await http(srv.url, 'POST', '/dashboard/account/password', {
      cookie: s.cookie,
      form: { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD },
    });
    expect(noToken.status).toBe(403);
    const crossSite = await http(srv.url, 'POST', '/dashboard/account/password', {
      cookie: s.cookie,
      form: { _csrf: s.token, current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD },
      headers: { origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect((await db().selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow()).password_hash).toBe(
      before,
    );
    expect(await opens(s)).toBe(true);
  });

  it('signs out everywhere: every session of the user ends, this one included; other users stay signed in', async () => {
    const { email, id } = await user();
    const here = await client().session(email, PASSWORD);
    const elsewhere = await client().session(email, PASSWORD);
    const colleague = await user();
    const theirs = await client().session(colleague.email, PASSWORD);

    expect((await http(srv.url, 'POST', '/dashboard/account/sign-out-everywhere', { cookie: here.cookie, form: {} })).status).toBe(403);
    const res = await http(srv.url, 'POST', '/dashboard/account/sign-out-everywhere', { cookie: here.cookie, form: { _csrf: here.token } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/login?signed_out=everywhere');
    expect(res.cookies.some((c) => c.startsWith('qb_session=;'))).toBe(true);
    expect(await opens(here)).toBe(false);
    expect(await opens(elsewhere)).toBe(false);
    expect(await opens(theirs)).toBe(true);
    expect(await db().selectFrom('dashboard_sessions').select('id').where('user_id', '=', id).execute()).toEqual([]);
    const login = await http(srv.url, 'GET', '/dashboard/login?signed_out=everywhere');
    expect(login.text).toContain('You have been signed out everywhere.');
  });
});

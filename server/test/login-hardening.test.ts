/**
 * Issue 19, items 3 and 9: 300 parallel sign-ins from one address all got a password check (the
 * failure was counted after scrypt), and scrypt filled libuv's threads so everyone's DNS lookups
 * waited. Now an attempt is counted before its check, every password hash of the process passes
 * one small gate, and passwords use scrypt N=2^17 (older hashes replaced at the next sign-in).
 */
import { randomBytes, scryptSync } from 'node:crypto';
import dns from 'node:dns';
import { MAX_FAILURES_PER_IP } from '../dashboard/session';
import { HASH_CONCURRENCY, hashGate, SCRYPT_PARAMS, verifyPassword } from '../services/passwords';
import { createUser } from '../services/users';
import { backends } from './support/databases';
import { dashboardClient, http, type PageResponse } from './support/dashboard';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

const PASSWORD = 'a long enough password';

describe.each(backends())('sign-in under attack on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false, trustProxy: true });
    clinic = await srv.clinic('Login Clinic');
  });
  afterAll(() => srv.close());

  const db = () => srv.running.deps.database.db;

  /** `n` sign-in POSTs at once, each with its own email, from the addresses `from(i)` names. */
  async function burst(n: number, from: (i: number) => string, onAnswer?: (res: PageResponse) => void): Promise<PageResponse[]> {
    const form = await dashboardClient(srv.url).loginForm();
    return Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await http(srv.url, 'POST', '/dashboard/login', {
          cookie: form.cookie,
          form: { _csrf: form.token, email: `guess${i}-${randomBytes(3).toString('hex')}@example.com`, password: 'wrong' },
          headers: { 'x-forwarded-for': from(i) },
        });
        onAnswer?.(res);
        return res;
      }),
    );
  }

  it('gives 300 parallel sign-ins from one address at most the cap of password checks', async () => {
    hashGate.maxActive = 0;
    const answers = await burst(300, () => '203.0.113.50');
    const statuses = answers.map((r) => r.status);
    const checked = statuses.filter((s) => s === 401).length; // a 401 is a password that was checked
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(MAX_FAILURES_PER_IP);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 401 || s === 429 || s === 503)).toBe(true);
    const limited = answers.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.text).toContain('Too many failed sign-in attempts');
    // What stays counted against the address: the attempts that were checked, no more.
    const counted = await db().selectFrom('dashboard_login_failures').select('id').where('ip', '=', '203.0.113.50').execute();
    expect(counted.length).toBe(checked);
    expect(hashGate.maxActive).toBeLessThanOrEqual(HASH_CONCURRENCY);
  });

  it('keeps libuv threads free for DNS while sign-ins from many addresses are checked', async () => {
    hashGate.maxActive = 0;
    let checkedSoFar = 0;
    let checkedWhenLookupStarted = -1;
    let checkedWhenLookupDone = -1;
    let lookup: Promise<void> | undefined;
    const answers = await burst(
      60,
      (i) => `198.51.100.${i + 1}`,
      (res) => {
        if (res.status === 401) checkedSoFar++;
        if (lookup) return;
        // Once checks are under way (and more are waiting), look a name up: getaddrinfo runs on libuv's pool.
        checkedWhenLookupStarted = checkedSoFar;
        lookup = dns.promises.lookup('localhost').then(() => {
          checkedWhenLookupDone = checkedSoFar;
        });
      },
    );
    await lookup;
    const checked = answers.filter((r) => r.status === 401).length;
    const busy = answers.filter((r) => r.status === 503);
    expect(checked).toBeGreaterThan(HASH_CONCURRENCY);
    // The lookup did not wait for the queue of password hashes: at most the ones already running finished meanwhile.
    expect(checkedWhenLookupDone - checkedWhenLookupStarted).toBeLessThanOrEqual(HASH_CONCURRENCY);
    expect(hashGate.maxActive).toBeLessThanOrEqual(HASH_CONCURRENCY);
    // Past the gate's short queue, sign-ins are refused at once, not queued without bound.
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.headers.get('retry-after')).toBe('2');
    expect(busy[0]!.text).toContain('Too many sign-ins are being checked right now');
    // A refused attempt is not counted against its address.
    const counted = await db().selectFrom('dashboard_login_failures').select('id').where('ip', 'like', '198.51.100.%').execute();
    expect(counted.length).toBe(checked);
  });

  it('hashes new passwords with scrypt N=2^17, r=8, p=1 and replaces an older hash at the next sign-in', async () => {
    const user = await createUser(db(), clinic.clinic.id, 'new@login.test', PASSWORD);
    const fresh = await db().selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(SCRYPT_PARAMS).toEqual({ N: 131072, r: 8, p: 1 });
    expect(fresh.password_hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}$/);

    // A user whose hash was made before: N=2^14.
    const salt = randomBytes(16);
    const oldHash = [
      'scrypt',
      16384,
      8,
      1,
      salt.toString('base64'),
      scryptSync(PASSWORD, salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64'),
    ].join('$');
    const old = await db()
      .insertInto('users')
      .values({ clinic_id: clinic.clinic.id, email: 'old@login.test', password_hash: oldHash })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await dashboardClient(srv.url).signIn('old@login.test', PASSWORD)).status).toBe(303);
    const rehashed = (await db().selectFrom('users').select('password_hash').where('id', '=', old.id).executeTakeFirstOrThrow())
      .password_hash;
    expect(rehashed).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword(PASSWORD, rehashed)).toBe(true);
    expect((await dashboardClient(srv.url).signIn('old@login.test', PASSWORD)).status).toBe(303);
    // A wrong password changes nothing.
    expect((await dashboardClient(srv.url).signIn('old@login.test', 'wrong')).status).toBe(401);
    expect((await db().selectFrom('users').select('password_hash').where('id', '=', old.id).executeTakeFirstOrThrow()).password_hash).toBe(
      rehashed,
    );
  });
});

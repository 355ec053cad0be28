/**
 * Issue 19, item 2: the dashboard minted 25 keys in 485 ms. Live keys per clinic are capped (409
 * `limit_reached`, the page says what to do) and creating keys is throttled per clinic (429 with
 * Retry-After), both checked under a per-clinic lock so a parallel burst cannot slip past them.
 * Under the same lock, a live key's name is unique in its clinic (DESIGN.md §3: the connection
 * label, the clinic's name and the key's, tells two keys apart).
 */
import { sql } from 'kysely';
import type { ServerConfig } from '../config';
import { createUser } from '../services/users';
import { backends } from './support/databases';
import { dashboardClient, http, type SignedIn } from './support/dashboard';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

const PASSWORD = 'a long enough password';

describe.each(backends())('API key limits on %s', (backend) => {
  const servers: TestServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  /** A server with these limits. */
  async function server(config: Partial<ServerConfig>): Promise<TestServer> {
    const srv = await startTestServer(backend, { runWorker: false, ...config });
    servers.push(srv);
    return srv;
  }

  /** A clinic whose first key is older than a minute, and a user of it signed in. */
  async function signedInClinic(srv: TestServer, name: string): Promise<{ clinic: TestClinic; s: SignedIn }> {
    const clinic = await srv.clinic(name);
    await srv.running.deps.database.db
      .updateTable('api_keys')
      .set({ created_at: sql`now() - interval '1 hour'` })
      .where('clinic_id', '=', clinic.clinic.id)
      .execute();
    const email = `owner-${clinic.clinic.id}@limits.test`;
    await createUser(srv.running.deps.database.db, clinic.clinic.id, email, PASSWORD);
    return { clinic, s: await dashboardClient(srv.url).session(email, PASSWORD) };
  }

  async function setUp(config: Partial<ServerConfig>) {
    const srv = await server(config);
    return { srv, ...(await signedInClinic(srv, 'Key Limits')) };
  }

  const liveKeys = (srv: TestServer, clinicId: string) =>
    srv.running.deps.database.db
      .selectFrom('api_keys')
      .select(['id', 'name'])
      .where('clinic_id', '=', clinicId)
      .where('revoked_at', 'is', null)
      .execute();

  const burst = (srv: TestServer, s: SignedIn, n: number, prefix = 'burst') =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        http(srv.url, 'POST', '/dashboard/setup/api-keys', {
          cookie: s.cookie,
          form: { _csrf: s.token, name: `${prefix} ${i}`, scopes: 'leads:read' },
        }),
      ),
    );

  it('caps the live keys of a clinic, even for a parallel burst, and says to revoke one; revoking makes room', async () => {
    const { srv, clinic, s } = await setUp({ liveKeysPerClinic: 5, keyCreationsPerMinute: 100 });
    const answers = await burst(srv, s, 25);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(4); // the clinic's first key + 4 = 5
    const refused = answers.filter((r) => r.status === 409);
    expect(refused).toHaveLength(21);
    expect(refused[0]!.text).toContain('This clinic already has 5 live API keys, the most it may have. Revoke a key you no longer use');
    expect(refused[0]!.text).toContain('role="alert"');
    expect(await liveKeys(srv, clinic.clinic.id)).toHaveLength(5);

    const [oldest] = await liveKeys(srv, clinic.clinic.id);
    const revoke = await http(srv.url, 'POST', `/dashboard/setup/api-keys/${oldest!.id}/revoke`, {
      cookie: s.cookie,
      form: { _csrf: s.token },
    });
    expect(revoke.status).toBe(303);
    expect((await burst(srv, s, 1, 'after revoking'))[0]!.status).toBe(200);
    expect(await liveKeys(srv, clinic.clinic.id)).toHaveLength(5);
  });

  it('refuses a second live key with the same name (any letter case and spacing), even in a parallel burst; a revoked key frees its name', async () => {
    const { srv, clinic, s } = await setUp({ liveKeysPerClinic: 20, keyCreationsPerMinute: 100 });
    const create = (name: string) =>
      http(srv.url, 'POST', '/dashboard/setup/api-keys', { cookie: s.cookie, form: { _csrf: s.token, name, scopes: 'leads:read' } });
    const named = async (name: string) =>
      (await liveKeys(srv, clinic.clinic.id)).filter((k) => k.name.trim().replace(/\s+/g, ' ').toLowerCase() === name.toLowerCase());

    expect((await create('Zapier')).status).toBe(200);
    for (const twin of ['Zapier', '  zapier ', 'ZAPIER']) {
      const refused = await create(twin);
      expect({ twin, status: refused.status }).toEqual({ twin, status: 409 });
      expect(refused.text).toContain('This clinic already has a live API key named “Zapier”. Choose another name');
      expect(refused.text).toContain('role="alert"');
    }
    expect(await named('zapier')).toHaveLength(1);

    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => create(i % 2 ? 'CRM sync' : 'crm   SYNC')));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    expect(await named('crm sync')).toHaveLength(1);

    const [zapier] = await named('zapier');
    expect(
      (await http(srv.url, 'POST', `/dashboard/setup/api-keys/${zapier!.id}/revoke`, { cookie: s.cookie, form: { _csrf: s.token } }))
        .status,
    ).toBe(303);
    expect((await create('zapier')).status).toBe(200);
    expect((await named('zapier')).map((k) => k.name)).toEqual(['zapier']);
  });

  it('throttles key creation per clinic per minute with 429 and Retry-After', async () => {
    const { srv, clinic, s } = await setUp({ liveKeysPerClinic: 100, keyCreationsPerMinute: 3 });
    const answers = await burst(srv, s, 12);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(3);
    const throttled = answers.filter((r) => r.status === 429);
    expect(throttled).toHaveLength(9);
    expect(throttled[0]!.text).toContain('At most 3 API keys can be created per minute for a clinic. Try again in');
    const retryAfter = Number(throttled[0]!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await liveKeys(srv, clinic.clinic.id)).toHaveLength(4);
    // Another clinic is not throttled by this one.
    const other = await signedInClinic(srv, 'Neighbour');
    expect((await burst(srv, other.s, 1))[0]!.status).toBe(200);
  });
});

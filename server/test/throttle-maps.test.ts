/**
 * Issue 19, item 4: the failed-auth throttle swept its whole map on every new address once it
 * held 10,000 (20k / 40k / 80k new addresses: 3.6 / 19.5 / 62.7 s of event loop), and both
 * throttles keyed IPv6 clients by full address, so one /64 was endless clients. Now the cost per
 * new address is constant on average, the map has a hard cap, and IPv6 is counted by /64.
 */
import { addressGroup } from '../http/client-address';
import { FailedAuthThrottle, MAX_TRACKED_ADDRESSES } from '../http/auth-throttle';
import { createUser } from '../services/users';
import { backends } from './support/databases';
import { dashboardClient } from './support/dashboard';
import { rawRequest, startTestServer, type TestServer } from './support/server';

/** Steps taken through any Map's iterator while `fn` runs: the work of sweeping a map. */
function mapIteratorSteps(fn: () => void): number {
  const proto = Object.getPrototypeOf(new Map().keys()) as { next: (this: Iterator<unknown>) => IteratorResult<unknown> };
  const next = proto.next;
  let steps = 0;
  proto.next = function counted(this: Iterator<unknown>) {
    steps++;
    return next.call(this);
  };
  try {
    fn();
  } finally {
    proto.next = next;
  }
  return steps;
}

describe('the failed-auth throttle map', () => {
  it.each([20_000, 40_000, 80_000])('costs a bounded number of steps per new address, and stays bounded in size: %i new addresses', (n) => {
    // A new address every millisecond: windows expire all along (60 s), as in a long attack.
    let now = 0;
    const throttle = new FailedAuthThrottle(20, 60_000, () => now);
    let largest = 0;
    const steps = mapIteratorSteps(() => {
      for (let i = 0; i < n; i++) {
        now++;
        throttle.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
        largest = Math.max(largest, throttle.size);
      }
    });
    expect(steps / n).toBeLessThanOrEqual(3);
    expect(largest).toBeLessThanOrEqual(Math.min(n, 60_000));
  });

  it('holds at most its cap of addresses when they all arrive within one window, and still throttles the newest', () => {
    const now = 1_000;
    const throttle = new FailedAuthThrottle(2, 60_000, () => now);
    const n = MAX_TRACKED_ADDRESSES + 30_000;
    const steps = mapIteratorSteps(() => {
      for (let i = 0; i < n; i++) throttle.recordFailure(`addr-${i}`);
    });
    expect(throttle.size).toBe(MAX_TRACKED_ADDRESSES);
    expect(steps / n).toBeLessThanOrEqual(3);
    throttle.recordFailure('addr-last');
    throttle.recordFailure('addr-last');
    expect(throttle.retryAfterSeconds('addr-last')).toBe(60);
  });
});

describe('client address groups', () => {
  it('counts IPv4 by address and IPv6 by its /64 (or the configured prefix)', () => {
    expect(addressGroup('203.0.113.7', 64)).toBe('203.0.113.7');
    expect(addressGroup('::ffff:203.0.113.7', 64)).toBe('203.0.113.7');
    expect(addressGroup('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64)).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:2::1', 64)).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:DB8:1:2::ffff', 64)).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:3::1', 64)).toBe('2001:db8:1:3::/64');
    expect(addressGroup('2001:db8:1:3::1', 48)).toBe('2001:db8:1::/48');
    expect(addressGroup('2001:db8:1:ff00::1', 56)).toBe('2001:db8:1:ff00::/56');
    expect(addressGroup('2001:db8:1:2ff::1', 56)).toBe('2001:db8:1:200::/56');
    expect(addressGroup('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1/128');
    expect(addressGroup('fe80::1%eth0', 64)).toBe('fe80:0:0:0::/64');
    expect(addressGroup('::1', 64)).toBe('0:0:0:0::/64');
    expect(addressGroup('64:ff9b::192.0.2.1', 96)).toBe('64:ff9b:0:0:0:0::/96');
    expect(addressGroup('unknown', 64)).toBe('unknown');
  });
});

describe.each(backends())('throttles by address group on %s', (backend) => {
  const LIMIT = 3;
  let srv: TestServer;
  let wide: TestServer;

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false, trustProxy: true, failedAuthPerMinute: LIMIT });
    wide = await startTestServer(backend, { runWorker: false, trustProxy: true, failedAuthPerMinute: LIMIT, ipv6Prefix: 48 });
  }, 180_000); // two servers, each with its database migrated: a loaded machine takes its time
  afterAll(async () => {
    await srv?.close();
    await wide?.close();
  });

  const guess = (server: TestServer, address: string, i: number) =>
    rawRequest(server.url, 'GET', '/api/v1/me', undefined, { authorization: `Bearer qbk_live_guess${i}`, 'x-forwarded-for': address });

  it('throttles invalid keys from every address of one IPv6 /64 together, and no other /64', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await guess(srv, `2001:db8:aa:1::${i + 1}`, i)).status).toBe(401);
    const fresh = await guess(srv, '2001:db8:aa:1:ffff:ffff:ffff:fffe', 99);
    expect(fresh.status).toBe(429);
    expect(Number(fresh.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await guess(srv, '2001:db8:aa:2::1', 100)).status).toBe(401);
  });

  it('groups by QB_IPV6_PREFIX', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await guess(wide, `2001:db8:bb:${i + 1}::1`, i)).status).toBe(401);
    expect((await guess(wide, '2001:db8:bb:ff::1', 99)).status).toBe(429);
    expect((await guess(wide, '2001:db8:cc:1::1', 100)).status).toBe(401);
  });

  it('counts dashboard sign-in failures by the same group', async () => {
    const clinic = await srv.clinic('Group Clinic');
    await createUser(srv.running.deps.database.db, clinic.clinic.id, 'group@throttle.test', 'a long enough password');
    const res = await dashboardClient(srv.url).signIn('group@throttle.test', 'wrong', { 'x-forwarded-for': '2001:db8:dd:7:1:2:3:4' });
    expect(res.status).toBe(401);
    const rows = await srv.running.deps.database.db.selectFrom('dashboard_login_failures').select('ip').execute();
    expect(rows.map((r) => r.ip)).toEqual(['2001:db8:dd:7::/64']);
  });
});

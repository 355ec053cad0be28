/**
 * The webhook transport against DNS rebinding: the host is resolved once per connection, every
 * address checked (global unicast only), and the socket connects to the checked address. A host
 * that answers a public address to the policy check and 127.0.0.1 to the connection (rebinding)
 * gets no connection at all, and the delivery log names no internal address.
 */
import dns from 'node:dns';
import dnsPromises from 'node:dns/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { fetch as undiciFetch } from 'undici';
import { createApiKey } from '../services/api-keys';
import { createClinic } from '../services/clinics';
import { createWebhookDispatcher, describeTransportError } from '../webhooks/pinned-transport';
import { createTransport, withTimeout } from '../webhooks/transport';
import { UrlPolicyError } from '../webhooks/url-policy';
import { backends } from './support/databases';
import { startTestServer, type TestServer } from './support/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP listener on loopback that counts connections and closes them: the "internal service". */
async function countingListener() {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A rebinding name server for one host: the first `publicAnswers` lookups get a public address,
 * every later one 127.0.0.1. Both lookup APIs (promises and callback, which sockets use) answer.
 */
function rebindingDns(host: string, publicAnswers: number) {
  let asked = 0;
  const answer = () => (++asked <= publicAnswers ? '93.184.216.34' : '127.0.0.1');
  const promiseSpy = jest.spyOn(dnsPromises, 'lookup').mockImplementation((async (name: string) => {
    if (name !== host) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [{ address: answer(), family: 4 }];
  }) as unknown as typeof dnsPromises.lookup);
  const callbackSpy = jest.spyOn(dns, 'lookup').mockImplementation(((
    name: string,
    options: unknown,
    callback?: (...args: unknown[]) => void,
  ) => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const all = typeof options === 'object' && (options as { all?: boolean }).all;
    if (name !== host) return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
    const address = answer();
    return all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4);
  }) as unknown as typeof dns.lookup);
  return {
    asked: () => asked,
    restore() {
      promiseSpy.mockRestore();
      callbackSpy.mockRestore();
    },
  };
}

describe('pinned webhook dispatcher', () => {
  it('refuses to connect when the name resolves to a private address at connect time', async () => {
    const listener = await countingListener();
    const dispatcher = createWebhookDispatcher({
      allowPrivate: false,
      allowedPorts: [listener.port],
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    try {
      const error = await undiciFetch(`http://internal.example.test:${listener.port}/`, { dispatcher }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { cause?: unknown }).cause).toBeInstanceOf(UrlPolicyError);
      expect(describeTransportError(error, 1000)).toMatch(/^refused: url host internal\.example\.test resolves to a private/);
      expect(listener.connections()).toBe(0);
    } finally {
      await dispatcher.close();
      await listener.close();
    }
  });

  it.each(['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '169.254.169.254', '10.0.0.1'])(
    'refuses the address literal %s before connecting',
    async (host) => {
      const dispatcher = createWebhookDispatcher({ allowPrivate: false, resolve: async () => [] });
      try {
        const error = await undiciFetch(`http://${host}:8999/`, { dispatcher }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((error as { cause?: unknown }).cause).toBeInstanceOf(UrlPolicyError);
      } finally {
        await dispatcher.close();
      }
    },
  );

  it('refuses a port that is not allowed before resolving or connecting (issue 19: no port scanning)', async () => {
    const listener = await countingListener();
    const resolve = jest.fn(async () => [{ address: '93.184.216.34', family: 4 }]);
    const dispatcher = createWebhookDispatcher({ allowPrivate: false, resolve });
    try {
      for (const url of [`https://public.example.test:${listener.port}/`, 'https://1.1.1.1:2222/', 'http://public.example.test/']) {
        const error = await undiciFetch(url, { dispatcher }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((error as { cause?: unknown }).cause).toBeInstanceOf(UrlPolicyError);
        expect(describeTransportError(error, 1000)).toMatch(/^refused: url port \d+ is not allowed: use port 443/);
      }
      expect(resolve).not.toHaveBeenCalled();
      expect(listener.connections()).toBe(0);
    } finally {
      await dispatcher.close();
      await listener.close();
    }
  });

  it('with private receivers allowed, reaches any port of a private address and no other port of a public one', async () => {
    const listener = await countingListener();
    const table: Record<string, string> = { 'local.example.test': '127.0.0.1', 'public.example.test': '93.184.216.34' };
    const resolve = async (host: string) => [{ address: table[host]!, family: 4 }];
    const dispatcher = createWebhookDispatcher({ allowPrivate: true, allowedPorts: [443], resolve });
    try {
      const toPublic = await undiciFetch(`http://public.example.test:${listener.port}/`, { dispatcher }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((toPublic as { cause?: unknown }).cause).toBeInstanceOf(UrlPolicyError);
      expect(describeTransportError(toPublic, 1000)).toMatch(/resolves to a public address: its port is not one webhooks may use/);
      const toPublicLiteral = await undiciFetch('http://1.1.1.1:2222/', { dispatcher }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(describeTransportError(toPublicLiteral, 1000)).toMatch(/^refused: url port 2222 is not allowed/);
      expect(listener.connections()).toBe(0);
      // The listener closes every connection: reaching it at all is what counts here.
      await undiciFetch(`http://local.example.test:${listener.port}/`, { dispatcher }).catch(() => undefined);
      expect(listener.connections()).toBe(1);
    } finally {
      await dispatcher.close();
      await listener.close();
    }
  });

  it("connects to the address it resolved and checked, keeping the URL's host name in the Host header", async () => {
    const hosts: string[] = [];
    const server = http.createServer((req, res) => {
      hosts.push(req.headers.host ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    const resolve = jest.fn(async () => [{ address: '127.0.0.1', family: 4 }]);
    const dispatcher = createWebhookDispatcher({ allowPrivate: true, resolve });
    try {
      const res = await undiciFetch(`http://receiver.example.test:${port}/hook`, { method: 'POST', body: '{}', dispatcher });
      expect(res.status).toBe(200);
      expect(hosts).toEqual([`receiver.example.test:${port}`]);
      expect(resolve).toHaveBeenCalledWith('receiver.example.test');
    } finally {
      await dispatcher.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('describes network failures without the address or port that failed', () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:6379'), { code: 'ECONNREFUSED' }),
    });
    expect(describeTransportError(refused, 1000)).toBe('connection refused');
    const odd = Object.assign(new TypeError('fetch failed'), { cause: new Error('something at 10.0.0.7:6379') });
    expect(describeTransportError(odd, 1000)).toBe('request failed');
  });
});

describe('webhook transport timeout', () => {
  it('aborts an attempt whose receiver never answers, as a timeout', async () => {
    const silent = http.createServer(() => undefined); // reads the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const transport = createTransport({ allowPrivate: true, maxSockets: 1 });
    try {
      const { port } = silent.address() as AddressInfo;
      const error = await transport.post(`http://127.0.0.1:${port}/hook`, {}, '{}', 100).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error | undefined)?.name).toBe('TimeoutError');
      expect(describeTransportError(error, 100)).toBe('timed out after 100 ms');
    } finally {
      await transport.close().catch(() => undefined);
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it("clears an attempt's timer once it has its answer (nothing of it waits for the timeout)", async () => {
    let used: AbortSignal | undefined;
    expect(
      await withTimeout(50, async (signal) => {
        used = signal;
        return 'answered';
      }),
    ).toBe('answered');
    await sleep(150);
    expect(used?.aborted).toBe(false);
  });
});

describe.each(backends())('DNS rebinding at delivery time on %s', (backend) => {
  let srv: TestServer;
  let listener: Awaited<ReturnType<typeof countingListener>>;
  beforeAll(async () => {
    listener = await countingListener();
    srv = await startTestServer(backend, {
      devTools: false,
      allowPrivateWebhooks: false,
      webhookScheduleScale: 0.001,
      webhookAllowedPorts: [443, listener.port],
    });
  });
  afterAll(async () => {
    await srv.close();
    await listener.close();
  });

  it('a host that answers public to the check and 127.0.0.1 to the connection gets no connection', async () => {
    const host = 'rebind.example.test';
    const db = srv.running.deps.database.db;
    const created = await createClinic(db, 'Rebinding Clinic', 'UTC');
    const clinic = { ...created, api: srv.client(created.api_key) };
    const { row: key } = await createApiKey(db, clinic.clinic.id, 'hooks', ['webhooks:write']);
    // The subscription passed the policy when it was made (its host answered a public address).
    const webhook = await db
      .insertInto('webhooks')
      .values({
        clinic_id: clinic.clinic.id,
        api_key_id: key.id,
        url: `https://${host}:${listener.port}/hook`,
        events: ['lead.created'],
        secret: 'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const dnsServer = rebindingDns(host, 1); // the delivery's policy check sees a public address, then 127.0.0.1
    try {
      expect((await clinic.api.post('/api/v1/leads', { email: 'rebind@example.com' })).status).toBe(201);
      let attempts: Array<{ error: string | null }> = [];
      for (let i = 0; i < 200 && attempts.length === 0; i++) {
        await sleep(50);
        attempts = (await db
          .selectFrom('webhook_delivery_attempts as a')
          .innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id')
          .select('a.error')
          .where('d.webhook_id', '=', webhook.id)
          .execute()) as typeof attempts;
      }
      expect(dnsServer.asked()).toBeGreaterThanOrEqual(2);
      expect(listener.connections()).toBe(0);
      expect(attempts[0]!.error).toMatch(/^refused: /);
      expect(attempts[0]!.error).not.toMatch(/127\.0\.0\.1|93\.184/);
    } finally {
      dnsServer.restore();
    }
  });
});

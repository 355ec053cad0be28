/**
 * SIGTERM during a burst, for `npm start` and `npm run worker`: the process stops accepting,
 * finishes the requests and webhook attempts in flight, and exits 0. Afterwards every write that
 * was acknowledged is in the database with its event, and every webhook request the receiver
 * answered is recorded as a finished attempt (none cut in half).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase, type DatabaseHandle } from '../db/connect';
import { backends, createPostgresDatabase } from './support/databases';
import { kill, spawnScript, startServerProcess, type Child } from './support/processes';
import { rawRequest } from './support/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A receiver that takes `delayMs` to answer, so attempts are in flight when SIGTERM arrives. */
async function slowReceiver(delayMs: number) {
  const answered = new Set<string>();
  let started = 0;
  const server = http.createServer((req, res) => {
    started++;
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.on('finish', () => answered.add(String(req.headers['webhook-id'])));
        res.writeHead(200);
        res.end('ok');
      }, delayMs),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    answered,
    started: () => started,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** POSTs leads with `concurrency` workers until the server stops accepting them; returns the acknowledged ids. */
function burst(url: string, key: string, concurrency: number) {
  const acknowledged: string[] = [];
  let n = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      try {
        const res = await rawRequest(
          url,
          'POST',
          '/api/v1/leads',
          { email: `burst${n++}@example.com` },
          { authorization: `Bearer ${key}` },
        );
        if (res.status === 201) acknowledged.push(res.body.id);
        // A request that arrives once the shutdown began is refused as temporary: the server stopped accepting.
        else if (res.status === 503 && res.body.code === 'service_unavailable' && res.headers.get('retry-after')) return;
        else if (res.status >= 500) throw new Error(`server answered ${res.status}`);
      } catch (error) {
        if ((error as Error).message.startsWith('server answered')) throw error;
        return; // connection refused or closed: the server stopped accepting
      }
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    acknowledged,
    done,
    stop: () => {
      stop = true;
    },
  };
}

async function expectNothingLost(database: DatabaseHandle, acknowledged: string[], answered: Set<string>) {
  const { db } = database;
  const leads = new Set((await db.selectFrom('leads').select('id').execute()).map((r) => r.id));
  expect(acknowledged.filter((id) => !leads.has(id))).toEqual([]);
  const events = await db.selectFrom('webhook_events').select('payload').where('type', '=', 'lead.created').execute();
  const eventLeads = new Set(events.map((e) => JSON.parse(e.payload).data.lead.id as string));
  expect(acknowledged.filter((id) => !eventLeads.has(id))).toEqual([]);
  // Every request the receiver answered is a recorded, finished attempt of a succeeded delivery.
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .leftJoin('webhook_delivery_attempts as a', 'a.delivery_id', 'd.id')
    .select(['d.id', 'd.status', 'a.response_status'])
    .execute();
  const succeeded = new Set(rows.filter((r) => r.status === 'succeeded' && r.response_status === 200).map((r) => r.id));
  expect([...answered].filter((id) => !succeeded.has(id))).toEqual([]);
}

describe.each(backends())('graceful shutdown on %s', (backend) => {
  const children: Child[] = [];
  afterAll(async () => {
    for (const c of children) await kill(c);
  });

  it('npm start: SIGTERM during a burst loses no acknowledged write or event and cuts no attempt in half, then exits 0', async () => {
    const receiver = await slowReceiver(300);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qb-sigterm-'));
    const env = backend === 'postgres' ? { DATABASE_URL: await createPostgresDatabase() } : { QB_DATA_DIR: dataDir, DATABASE_URL: '' };
    try {
      const server = await startServerProcess({ ...env, QB_WEBHOOK_SCHEDULE_SCALE: '0.001' });
      children.push(server);
      const key = /API key:\s+(qbk_live_\S+)/.exec(server.output())![1]!;
      const sub = await rawRequest(
        server.url,
        'POST',
        '/api/v1/webhooks',
        { url: receiver.url, events: ['lead.created'] },
        { authorization: `Bearer ${key}` },
      );
      expect(sub.status).toBe(201);

      const load = burst(server.url, key, 6);
      const deadline = Date.now() + 40_000;
      while ((load.acknowledged.length < 30 || receiver.started() < 3) && Date.now() < deadline) await sleep(20);
      process.kill(-server.process.pid!, 'SIGTERM');
      await load.done;
      expect({ code: await server.exited, output: server.output() }).toEqual({ code: 0, output: expect.stringContaining('stopped') });
      expect(server.output()).toContain('SIGTERM: shutting down');
      expect(load.acknowledged.length).toBeGreaterThanOrEqual(30);

      const database = await connectDatabase(backend === 'postgres' ? { databaseUrl: env.DATABASE_URL! } : { dataDir });
      try {
        await expectNothingLost(database, load.acknowledged, receiver.answered);
      } finally {
        await database.close();
      }
      expect(receiver.answered.size).toBeGreaterThan(0);
    } finally {
      await receiver.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  if (backend === 'postgres') {
    it('npm run worker: SIGTERM while attempts are in flight finishes them, records them, and exits 0', async () => {
      const receiver = await slowReceiver(500);
      const env = { DATABASE_URL: await createPostgresDatabase(), QB_WEBHOOK_SCHEDULE_SCALE: '0.001' };
      try {
        const server = await startServerProcess({ ...env, QB_WORKER: 'off' });
        children.push(server);
        const key = /API key:\s+(qbk_live_\S+)/.exec(server.output())![1]!;
        await rawRequest(
          server.url,
          'POST',
          '/api/v1/webhooks',
          { url: receiver.url, events: ['lead.created'] },
          { authorization: `Bearer ${key}` },
        );
        for (let i = 0; i < 20; i++) {
          expect(
            (await rawRequest(server.url, 'POST', '/api/v1/leads', { email: `w${i}@example.com` }, { authorization: `Bearer ${key}` }))
              .status,
          ).toBe(201);
        }
        const worker = spawnScript('worker', env);
        children.push(worker);
        const deadline = Date.now() + 60_000;
        while (receiver.started() < 3 && Date.now() < deadline) await sleep(20);
        process.kill(-worker.process.pid!, 'SIGTERM');
        expect({ code: await worker.exited, output: worker.output() }).toEqual({ code: 0, output: expect.stringContaining('stopped') });

        const database = await connectDatabase({ databaseUrl: env.DATABASE_URL });
        try {
          await expectNothingLost(database, [], receiver.answered);
          expect(receiver.answered.size).toBeGreaterThanOrEqual(1);
          // Whatever the worker did not start stays pending for the next worker: nothing failed.
          const statuses = await database.db.selectFrom('webhook_deliveries').select('status').execute();
          expect(statuses.filter((s) => s.status === 'failed')).toEqual([]);
          expect(statuses).toHaveLength(20);
        } finally {
          await database.close();
        }
      } finally {
        await receiver.close();
      }
    });
  }
});

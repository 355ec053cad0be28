/**
 * `npm run worker`: delivery in a process of its own. An API server started with QB_WORKER=off
 * records events but sends nothing; the worker, on the same PostgreSQL database, sends them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebhookDelivery } from '../../contract';
import { backends, createPostgresDatabase } from './support/databases';
import { kill, spawnEntry, startServerProcess, type Child } from './support/processes';
import { startReceiver, type Receiver } from './support/receiver';
import { apiClient } from './support/server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(backends())('webhook worker process, %s', (backend) => {
  const children: Child[] = [];
  const receivers: Receiver[] = [];
  afterAll(async () => {
    for (const c of children) await kill(c);
    await Promise.all(receivers.map((r) => r.close()));
  });

  // PGlite: a second process must never open the server's data directory.
  if (backend === 'pglite') {
    it('refuses to run without DATABASE_URL, since the embedded database belongs to one process', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qb-worker-'));
      const worker = spawnEntry('server/worker.ts', {
        DATABASE_URL: '',
        QB_DATA_DIR: dataDir,
      });
      children.push(worker);
      expect(await worker.exited).toBe(2);
      expect(worker.output()).toMatch(/needs DATABASE_URL/);
      expect(fs.readdirSync(dataDir)).toEqual([]); // it never opened the embedded database
    });
  } else {
    it('delivers what an API server with QB_WORKER=off recorded, on PostgreSQL', async () => {
      const env = {
        DATABASE_URL: await createPostgresDatabase(),
        QB_WEBHOOK_SCHEDULE_SCALE: '0.001',
      };
      const receiver = await startReceiver();
      receivers.push(receiver);

      const server = await startServerProcess({ ...env, QB_WORKER: 'off' });
      children.push(server);
      const key = /API key:\s+(qbk_live_\S+)/.exec(server.output())![1]!;
      const api = apiClient(server.url, key);
      const sub = await api.post('/api/v1/webhooks', {
        url: receiver.url,
        events: ['lead.created'],
      });
      expect(sub.status).toBe(201);
      const first = await api.post('/api/v1/leads', {
        email: 'worker1@example.com',
      });
      expect(first.status).toBe(201);

      await sleep(2000); // a delivering server would have sent it well within this
      expect(receiver.received).toHaveLength(0);
      const pending = (await api.get(`/api/v1/webhooks/${sub.body.id}/deliveries`)).body.data;
      expect(pending).toHaveLength(1);
      expect(WebhookDelivery.parse(pending[0]).status).toBe('pending');

      const worker = spawnEntry('server/worker.ts', env);
      children.push(worker);
      await receiver.waitFor(1, 30_000);
      expect(JSON.parse(receiver.received[0]!.body).data.lead.id).toBe(first.body.id);
      expect(receiver.received[0]!.headers['webhook-id']).toBe(pending[0].id);

      // Events written by the API process while the worker runs reach it too.
      const second = await api.post('/api/v1/leads', {
        email: 'worker2@example.com',
      });
      await receiver.waitFor(2, 30_000);
      expect(JSON.parse(receiver.received[1]!.body).data.lead.id).toBe(second.body.id);
      expect(worker.process.exitCode).toBeNull();
    });
  }
});

/**
 * Crash safety: the real server process is SIGKILLed while deliveries are pending, restarted on
 * the same data, and every pending event still arrives.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backends, createPostgresDatabase } from './support/databases';
import { kill, startServerProcess, type ServerChild } from './support/processes';
import { startReceiver } from './support/receiver';
import { apiClient } from './support/server';

describe.each(backends())('crash safety of webhook delivery on %s', (backend) => {
  const children: ServerChild[] = [];
  afterAll(async () => {
    for (const c of children) await kill(c);
  });

  it('delivers every pending event after a SIGKILL and a restart on the same data', async () => {
    const storage: Record<string, string> =
      backend === 'pglite'
        ? { QB_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'qb-crash-')) }
        : { DATABASE_URL: await createPostgresDatabase() };
    const env = { ...storage, QB_WEBHOOK_SCHEDULE_SCALE: '0.001', QB_WEBHOOK_JOB_EXPIRE_SECONDS: '2' };

    // A port for the receiver, closed for now: the receiver is "down".
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();

    const first = await startServerProcess(env);
    children.push(first);
    const key = /API key:\s+(qbk_live_\S+)/.exec(first.output())![1]!;
    const api = apiClient(first.url, key);
    const sub = await api.post('/api/v1/webhooks', { url: `http://127.0.0.1:${port}/hooks`, events: ['lead.created'] });
    expect(sub.status).toBe(201);

    const acknowledged: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await api.post('/api/v1/leads', { email: `crash${i}@example.com` });
      expect(res.status).toBe(201);
      acknowledged.push(res.body.id);
    }
    await new Promise((r) => setTimeout(r, 300)); // some attempts fail against the closed port
    await kill(first);

    const receiver = await startReceiver(port);
    try {
      const second = await startServerProcess(env);
      children.push(second);
      expect(second.output()).not.toMatch(/API key:/); // same data: no new demo clinic
      const received = await receiver.waitFor(20, 60_000);
      const leadIds = new Set(received.map((r) => JSON.parse(r.body).data.lead.id));
      for (const id of acknowledged) expect(leadIds.has(id)).toBe(true);
      // Every acknowledged write survived the crash.
      const leads = await apiClient(second.url, key).get('/api/v1/leads?per_page=100');
      expect(leads.body.meta.total).toBe(20);
      await kill(second);
    } finally {
      await receiver.close();
    }
  });
});

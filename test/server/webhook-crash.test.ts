/**
 * Crash safety: the real server process is SIGKILLed while deliveries are pending, restarted on
 * the same data, and every pending event still arrives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backends, createPostgresDatabase } from '../support/databases';
import { startReceiver } from '../support/receiver';
import { apiClient } from '../support/server';

const ROOT = path.join(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `server/main.ts` as `npm start` would, and waits for it to listen. */
export async function startServerProcess(env: Record<string, string>): Promise<Child> {
  const child = spawn(TSX, ['server/main.ts'], {
    cwd: ROOT,
    detached: true, // its own process group, so SIGKILL reaches tsx's node child too
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return { process: child, url, output: () => output };
}

function kill(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
    child.process.once('exit', () => resolve());
    try {
      process.kill(-child.process.pid!, 'SIGKILL');
    } catch {
      child.process.kill('SIGKILL'); // the group is gone already; make sure the leader is too
    }
  });
}

describe.each(backends())('crash safety of webhook delivery on %s', (backend) => {
  const children: Child[] = [];
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

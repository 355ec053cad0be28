/**
 * Real server processes for the reliability suite: `server/main.ts` under Node with the tsx
 * loader (one process, so its pid is the server's and /proc/<pid>/status is its memory), a
 * flaky-able webhook receiver, and small helpers shared by the crash, multi-instance and load tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { TEST_SWITCHES } from '../support/processes';

export { waitUntil } from '../support/wait';
import { apiClient, rawRequest, type ApiClient } from '../support/server';

const ROOT = path.join(__dirname, '../../..'); // the repository root (npm start runs there)

export interface ServerProcess {
  process: ChildProcess;
  pid: number;
  url: string;
  output: () => string;
  /** The demo clinic's key, when this start seeded the database. */
  demoKey?: string;
}

export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'development', ...TEST_SWITCHES, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 90_000);
    const onData = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  // The banner is one write; give the key line a moment if it came in a second chunk.
  await new Promise((r) => setTimeout(r, 50));
  const demoKey = /API key:\s+(qbk_live_\S+)/.exec(output)?.[1];
  return { process: child, pid: child.pid!, url, output: () => output, demoKey };
}

export function stopServerProcess(child: ServerProcess, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
  return new Promise((resolve) => {
    if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
    child.process.once('exit', () => resolve());
    try {
      process.kill(-child.pid, signal);
    } catch {
      child.process.kill(signal);
    }
  });
}

/** Resident set size of a process, in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)![1]);
  return kb / 1024;
}

/** POST /dev/clinics: a ready clinic (opening hours Mon-Fri 09-17, 30-minute slots) and its key. */
export async function devClinic(url: string, name: string): Promise<{ id: string; api: ApiClient }> {
  const res = await rawRequest(url, 'POST', '/dev/clinics', { name, timezone: 'America/New_York' });
  if (res.status !== 201) throw new Error(`POST /dev/clinics answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { id: res.body.clinic.id, api: apiClient(url, res.body.api_key) };
}

export interface Delivered {
  eventId: string;
  type: string;
  objectId: string;
  deliveryId: string;
}

/** A webhook receiver that records every delivery and answers 503 to a share of them while flaky. */
export interface FlakyReceiver {
  url: string;
  port: number;
  delivered: Delivered[];
  /** Answer 503 to every `n`th request (0: never). */
  failEvery(n: number): void;
  eventIds(): Set<string>;
  close(): Promise<void>;
}

export async function startFlakyReceiver(port = 0): Promise<FlakyReceiver> {
  const delivered: Delivered[] = [];
  let every = 0;
  let count = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      if (every > 0 && count % every === 0) {
        res.writeHead(503);
        res.end('busy');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const object = body.data.appointment ?? body.data.lead ?? body.data.contact;
      delivered.push({ eventId: body.id, type: body.type, objectId: object.id, deliveryId: String(req.headers['webhook-id']) });
      res.writeHead(200);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/hooks`,
    port: actual,
    delivered,
    failEvery: (n) => {
      every = n;
    },
    eventIds: () => new Set(delivered.map((d) => d.eventId)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every delivery of a subscription, through the public delivery log (pages of 100). */
export async function allDeliveries(api: ApiClient, webhookId: string): Promise<{ id: string; event_id: string; status: string }[]> {
  const out = [];
  for (let page = 1; ; page++) {
    const res = await api.get(`/api/v1/webhooks/${webhookId}/deliveries?per_page=100&page=${page}`);
    if (res.status !== 200) throw new Error(`delivery log answered ${res.status}: ${JSON.stringify(res.body)}`);
    out.push(...res.body.data);
    if (out.length >= res.body.meta.total || res.body.data.length === 0) return out;
  }
}

/** Every appointment of the key's clinic (pages of 100). */
export async function allAppointments(api: ApiClient): Promise<{ id: string; scheduled_at: string; status: string }[]> {
  const out = [];
  for (let page = 1; ; page++) {
    const res = await api.get(`/api/v1/appointments?per_page=100&page=${page}`);
    if (res.status !== 200) throw new Error(`appointments answered ${res.status}: ${JSON.stringify(res.body)}`);
    out.push(...res.body.data);
    if (out.length >= res.body.meta.total || res.body.data.length === 0) return out;
  }
}

/** Open slots of the clinic, earliest first (several pages of GET /availability). */
export async function openSlots(api: ApiClient, count: number): Promise<string[]> {
  const slots: string[] = [];
  let from = Date.now() + 3_600_000;
  while (slots.length < count) {
    const q = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(from + 90 * 86_400_000).toISOString(), limit: '100' });
    const res = await api.get(`/api/v1/availability?${q}`);
    if (res.status !== 200) throw new Error(`availability answered ${res.status}`);
    if (res.body.data.length === 0) break;
    slots.push(...res.body.data.map((s: { scheduled_at: string }) => s.scheduled_at));
    from = Date.parse(res.body.data[res.body.data.length - 1].ends_at);
  }
  return slots.slice(0, count);
}

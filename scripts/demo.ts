/**
 * `npm run demo`: every trigger, action and search of the Zapier app, run through the app's own
 * code exactly as Zapier runs it (createAppTester), against a local reference server.
 *
 *   npm run demo            starts a server on a free port with an in-memory database
 *   QB_HOST=http://… npm run demo    uses that server instead (started with QB_DEV_TOOLS=1 QB_ALLOW_PRIVATE_WEBHOOKS=1)
 *   npm run demo -- --json  also writes the trace as JSON (to stdout after the table, or --json=FILE)
 *
 * Exit status: 0 when every step passed, 1 otherwise.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type AppDefinition from '../index';
import { startServer } from '../server/server';
import { performance } from 'node:perf_hooks';
import type { Bundle, ZObject } from 'zapier-platform-core';

const argv = process.argv.slice(2);
const jsonArg = argv.find((a) => a === '--json' || a.startsWith('--json='));
const jsonFile = jsonArg?.includes('=') ? jsonArg.split('=')[1] : undefined;
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const cyan = paint('36');
const yellow = paint('33');

interface HttpCall {
  method: string;
  path: string;
  status?: number;
  ms?: number;
}
interface StepResult {
  step: string;
  kind: string;
  ok: boolean;
  ms: number;
  calls: HttpCall[];
  summary: string;
  error?: string;
}

// Watch the app's outgoing HTTP (zapier-platform-core uses node's http/https under node-fetch).
let currentCalls: HttpCall[] | undefined;
for (const mod of [http, https] as const) {
  const original = mod.request;
  (mod as { request: typeof http.request }).request = function patched(this: unknown, ...args: unknown[]) {
    const req = (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    const calls = currentCalls;
    if (calls) {
      const started = performance.now();
      const call: HttpCall = { method: req.method, path: req.path };
      calls.push(call);
      req.on('response', (res) => {
        call.status = res.statusCode;
        call.ms = Math.round(performance.now() - started);
      });
    }
    return req;
  } as typeof http.request;
}

const results: StepResult[] = [];
let stepNo = 0;
const TOTAL_STEPS_HINT = 55;

function short(value: unknown): string {
  if (Array.isArray(value)) return `${value.length} item(s)${value[0] ? `, first: ${short(value[0])}` : ''}`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const pick = ['id', 'name', 'full_name', 'status', 'scheduled_at', 'starts_at', 'title', 'unblocked'].filter((k) => k in o);
    return `{${pick.map((k) => `${k}: ${JSON.stringify(o[k])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** An operation as the demo calls it: createAppTester runs each function with a bundle. */
type OperationFn = (z: ZObject, bundle: Bundle) => Promise<unknown>;
interface DemoOperation {
  display: { label: string };
  operation: {
    type?: string;
    perform?: OperationFn;
    performList?: OperationFn;
    performSubscribe?: OperationFn;
    performUnsubscribe?: OperationFn;
  };
}
type Subscription = { id: string; events: string[] };

async function step<T>(kind: string, name: string, run: () => Promise<T>, describe: (r: T) => string = short): Promise<T | undefined> {
  stepNo += 1;
  const calls: HttpCall[] = [];
  currentCalls = calls;
  const started = performance.now();
  process.stdout.write(`${dim(`[${String(stepNo).padStart(2)}/~${TOTAL_STEPS_HINT}]`)} ${cyan(kind.padEnd(9))} ${bold(name)} … `);
  try {
    const value = await run();
    const ms = Math.round(performance.now() - started);
    const summary = describe(value);
    results.push({ step: name, kind, ok: true, ms, calls, summary });
    process.stdout.write(`${green('ok')} ${dim(`${ms} ms`)}\n`);
    for (const c of calls)
      process.stdout.write(`        ${dim(`${c.method} ${c.path} → ${c.status ?? '…'}${c.ms !== undefined ? ` (${c.ms} ms)` : ''}`)}\n`);
    process.stdout.write(`        ${summary}\n`);
    return value;
  } catch (error) {
    const ms = Math.round(performance.now() - started);
    const message = error instanceof Error ? error.message : String(error);
    results.push({ step: name, kind, ok: false, ms, calls, summary: '', error: message });
    process.stdout.write(`${red('FAILED')} ${dim(`${ms} ms`)}\n        ${red(message.split('\n')[0] ?? message)}\n`);
    return undefined;
  } finally {
    currentCalls = undefined;
  }
}

type Delivery = { headers: http.IncomingHttpHeaders; body: string };
/** What the demo reads of a delivered event. */
type EventBody = {
  data: { lead?: { id: string; status: string; email: string | null }; appointment?: { id: string }; previous_attributes?: object };
};
/** What the demo reads of an operation's result. */
type Row = Record<string, unknown> & { id: string; scheduled_at?: string; ends_at?: string };

/** Catches deliveries per trigger path, as Zapier's hook URLs would. */
async function startHookReceiver() {
  const byPath = new Map<string, Delivery[]>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const list = byPath.get(path) ?? [];
      list.push({ headers: req.headers, body });
      byPath.set(path, list);
      res.end('{"status":"success"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /** The first delivery for `key` whose body matches, waiting for it; earlier ones that do not match are dropped. */
  const next = async (key: string, matches: (body: EventBody) => boolean = () => true, timeoutMs = 10_000): Promise<Delivery> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const queue = byPath.get(`/hooks/${key}`) ?? [];
      const delivery = queue.shift();
      if (delivery && matches(JSON.parse(delivery.body))) return delivery;
      if (delivery) continue;
      if (Date.now() > deadline) throw new Error(`no matching delivery arrived for ${key} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return {
    url: (key: string) => `${base}/hooks/${key}`,
    next,
    pending: (key: string) => (byPath.get(`/hooks/${key}`) ?? []).length,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
type HookReceiver = Awaited<ReturnType<typeof startHookReceiver>>;

/** Zapier hands raw headers as `Http-<Name>`; this is that form. */
function zapierRawHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const title = name
      .split('-')
      .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
      .join('-');
    out[`Http-${title}`] = String(value);
  }
  return out;
}

/** What every phase of the demo works with. */
interface Demo {
  appTester: (fn: OperationFn, bundle: Partial<Bundle>) => Promise<unknown>;
  authData: { api_key: string };
  // biome-ignore lint/suspicious/noExplicitAny: the demo reads API answers loosely; the tests check their shape
  api: (method: string, path: string, body?: unknown) => Promise<any>;
  clinic: { api_key: string; campaigns: Array<{ id: string }>; clinic: { name: string } };
  hooks: HookReceiver;
  hookKeys: string[];
  subscriptions: Record<string, Subscription | undefined>;
}

/**
 * The app, loaded in main() once NODE_ENV says this is a test run: zapier-platform-core decides
 * that when it is loaded, and prints Lambda memory diagnostics on every call otherwise.
 */
let App: typeof AppDefinition;
let triggers: Record<string, DemoOperation>;
let creates: Record<string, DemoOperation>;
let searches: Record<string, DemoOperation>;

function loadApp(): void {
  process.env.NODE_ENV ??= 'test';
  App = require('../index') as typeof AppDefinition;
  triggers = App.triggers as unknown as Record<string, DemoOperation>;
  creates = (App.creates ?? {}) as unknown as Record<string, DemoOperation>;
  searches = (App.searches ?? {}) as unknown as Record<string, DemoOperation>;
}
const fn = (op: DemoOperation | undefined, name: keyof DemoOperation['operation']): OperationFn => {
  const f = op?.operation[name];
  if (typeof f !== 'function') throw new Error(`the app has no ${name} there`);
  return f;
};

/** A delivery through a hook trigger's perform, as Zapier runs it (with the trigger's input). */
function performDelivery(d: Demo, key: string, delivery: Delivery, inputData: Record<string, unknown> = {}) {
  return d.appTester(fn(triggers[key], 'perform'), {
    authData: d.authData,
    inputData,
    subscribeData: d.subscriptions[key],
    cleanedRequest: JSON.parse(delivery.body),
    rawRequest: { method: 'POST', headers: zapierRawHeaders(delivery.headers), content: delivery.body, querystring: '' },
  }) as Promise<Row[]>;
}

/** Runs a create or search as a step and returns what it returned. */
function action<T = Row>(d: Demo, kind: 'create' | 'search', key: string, inputData: Record<string, unknown>) {
  const op = (kind === 'create' ? creates : searches)[key];
  return step(
    kind,
    `${key}: ${op?.display.label}`,
    () => d.appTester(fn(op, 'perform'), { authData: d.authData, inputData }) as Promise<T>,
  );
}

async function connect(d: Demo): Promise<void> {
  await step(
    'auth',
    'Connect (authentication test)',
    async () => {
      const me = (await d.appTester(App.authentication?.test as unknown as OperationFn, { authData: d.authData })) as Record<
        string,
        unknown
      >;
      const label = (await d.appTester(App.authentication?.connectionLabel as unknown as OperationFn, {
        authData: d.authData,
        inputData: me,
      })) as string;
      if (!label.startsWith(`${d.clinic.clinic.name} (`)) throw new Error(`connection label would be ${label}`);
      return label;
    },
    (label) => `connection label: "${label}"`,
  );
  await step('trigger', 'campaign_list (dropdown)', () =>
    d.appTester(fn(triggers.campaign_list, 'perform'), { authData: d.authData, meta: { page: 0 } as Bundle['meta'] }),
  );
  for (const key of d.hookKeys) {
    d.subscriptions[key] = await step(
      'subscribe',
      `${key}: subscribe`,
      () =>
        d.appTester(fn(triggers[key], 'performSubscribe'), { authData: d.authData, targetUrl: d.hooks.url(key) }) as Promise<Subscription>,
      (s) => `webhook ${s.id}, events ${JSON.stringify(s.events)}`,
    );
  }
}

/** Causes every event through the API and the dev tools, as a clinic's day would; each hook's delivery through perform. */
async function everyHook(d: Demo): Promise<void> {
  const lead = await d.api('POST', '/api/v1/leads', {
    full_name: 'Jordan Lee',
    phone: '+14155550142',
    email: 'jordan@example.com',
    source: 'website',
  });
  const [slot, later] = (await d.api('GET', '/api/v1/availability?limit=2')).data;
  const appointment = await d.api('POST', '/api/v1/appointments', { lead_id: lead.id, ...slot, title: 'Consultation' });
  await d.api('PATCH', `/api/v1/appointments/${appointment.id}`, later);
  await d.api('DELETE', `/api/v1/appointments/${appointment.id}`);
  const contact = (await action(d, 'create', 'campaign_contact', {
    campaign_id: d.clinic.campaigns[0]?.id,
    name: 'Sam Rivera',
    phone: '+14155550188',
    interest: 'whitening',
    city: 'Boston',
    country: 'US',
  })) as { id: string } | undefined;
  if (contact) {
    for (const outcome of ['qualified', 'not_interested', 'exhausted', 'callback_requested']) {
      await d.api('POST', `/dev/campaign-contacts/${contact.id}/outcome`, { status: outcome });
    }
  }
  for (const key of d.hookKeys) {
    if (!d.subscriptions[key]) continue;
    await step(
      'deliver',
      `${key}: signed delivery → perform`,
      async () => {
        const delivery = await d.hooks.next(key);
        return {
          event: delivery.headers['x-qualifybase-event'],
          id: delivery.headers['webhook-id'],
          output: await performDelivery(d, key, delivery),
        };
      },
      (r) => `${r.event} (${r.id}) → ${short(r.output)}`,
    );
  }
  for (const key of d.hookKeys) {
    await step('sample', `${key}: performList (editor samples)`, () =>
      d.appTester(fn(triggers[key], 'performList'), { authData: d.authData }),
    );
  }
}

/**
 * One update delivery through an update trigger with Only When set: `passes` expects one item that
 * names the change, else none (left out).
 */
async function filtered(d: Demo, key: string, delivery: Delivery, onlyWhen: string, passes: boolean) {
  const label = triggers[key]?.display.label;
  return step(
    'deliver',
    `${key}: Only When "${onlyWhen}" → perform`,
    async () => {
      const items = await performDelivery(d, key, delivery, { only_when: onlyWhen });
      const changed = Object.keys(JSON.parse(delivery.body).data.previous_attributes ?? {});
      if (items.length !== (passes ? 1 : 0))
        throw new Error(`${label} returned ${items.length} item(s) for a change of ${changed.join(', ')}`);
      return { items, changed };
    },
    ({ items, changed }) =>
      items[0]
        ? `passed: changed ${JSON.stringify(items[0].changed_fields)}, ${Object.entries(items[0])
            .filter(([k]) => k.startsWith('previous_') && changed.includes(k.slice('previous_'.length)))
            .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
            .join(', ')}`
        : `left out (changed: ${changed.join(', ')})`,
  );
}

/** Every action and search through the app, and the update triggers' Only When filter on what they change. */
async function actionsAndFilters(d: Demo): Promise<void> {
  const [lead] = (await action<Row[]>(d, 'search', 'find_lead', { email: 'jordan@example.com' })) ?? [];
  if (!lead) return;
  await action(d, 'create', 'lead_update', { lead_id: lead.id, status: 'qualified' });
  const qualified = await d.hooks.next('lead_updated', (b) => b.data.lead?.id === lead.id && b.data.lead.status === 'qualified');
  await filtered(d, 'lead_updated', qualified, 'status_changed', true);
  await filtered(d, 'lead_updated', qualified, 'contact_changed', false);

  const [slot, later] = (await action<Row[]>(d, 'search', 'find_available_slot', { limit: 2 })) ?? [];
  const booked = await action(d, 'create', 'appointment', { lead_id: lead.id, scheduled_at: slot?.scheduled_at, title: 'Follow-up' });
  if (!booked) return;
  await d.hooks.next('appointment_created', (b) => b.data.appointment?.id === booked.id);
  await d.hooks.next('lead_updated', (b) => b.data.lead?.id === lead.id && b.data.lead.status === 'booked');
  const isBooked = (b: EventBody) => b.data.appointment?.id === booked.id;
  await action(d, 'create', 'appointment_update', {
    appointment_id: booked.id,
    scheduled_at: later?.scheduled_at,
    ends_at: later?.ends_at,
  });
  await filtered(d, 'appointment_updated', await d.hooks.next('appointment_updated', isBooked), 'rescheduled', true);
  await action(d, 'create', 'appointment_update', { appointment_id: booked.id, title: 'Follow-up (x-ray)' });
  await filtered(d, 'appointment_updated', await d.hooks.next('appointment_updated', isBooked), 'rescheduled', false);
  await action(d, 'search', 'find_appointment', { lead_id: lead.id });
  await action(d, 'create', 'appointment_cancel', { appointment_id: booked.id });
  await d.hooks.next('appointment_cancelled', isBooked);
  await action(d, 'create', 'lead', { full_name: 'Casey Lin', email: 'casey@example.com', source: 'referral' });
  await d.hooks.next('lead_created', (b) => b.data.lead?.email === 'casey@example.com');

  const day = new Date(Date.now() + 9 * 86_400_000).toISOString().slice(0, 10);
  const block = {
    external_source: 'google_calendar',
    external_id: 'demo-evt-1',
    starts_at: `${day}T15:00:00Z`,
    ends_at: `${day}T15:30:00Z`,
    title: 'Conference call',
  };
  await action(d, 'create', 'calendar_block', block);
  await action(d, 'create', 'calendar_unblock', { external_source: block.external_source, external_id: block.external_id });
}

async function unsubscribeAll(d: Demo): Promise<void> {
  const before = d.hookKeys.map((k) => d.hooks.pending(k)).reduce((a, b) => a + b, 0);
  for (const key of d.hookKeys) {
    if (!d.subscriptions[key]) continue;
    await step(
      'unsubscribe',
      `${key}: unsubscribe`,
      () => d.appTester(fn(triggers[key], 'performUnsubscribe'), { authData: d.authData, subscribeData: d.subscriptions[key] }),
      () => 'webhook deleted',
    );
  }
  await d.api('POST', '/api/v1/leads', { full_name: 'After Unsubscribe', email: 'after@example.com' });
  await step(
    'check',
    'no deliveries after unsubscribing',
    async () => {
      await new Promise((r) => setTimeout(r, 1500));
      const stray = d.hookKeys.map((k) => d.hooks.pending(k)).reduce((a, b) => a + b, 0) - before;
      if (stray > 0) throw new Error(`${stray} delivery(ies) arrived after unsubscribing`);
      return 0;
    },
    () => 'none arrived',
  );
}

function printSummary(started: number, host: string): boolean {
  const failed = results.filter((r) => !r.ok);
  process.stdout.write(`\n${bold('Summary')}\n`);
  process.stdout.write(`${'step'.padEnd(58)} ${'result'.padEnd(7)} ${'HTTP'.padEnd(5)} time\n`);
  for (const r of results) {
    process.stdout.write(
      `${r.step.slice(0, 57).padEnd(58)} ${(r.ok ? green('ok') : red('FAIL')).padEnd(color ? 16 : 7)} ${String(r.calls.length).padEnd(5)} ${r.ms} ms\n`,
    );
  }
  const total = Math.round(performance.now() - started);
  process.stdout.write(
    `\n${failed.length === 0 ? green(`All ${results.length} steps passed`) : red(`${failed.length} of ${results.length} steps failed`)} ${dim(`in ${total} ms`)}\n`,
  );
  if (failed.length > 0) for (const f of failed) process.stdout.write(`${yellow('•')} ${f.step}: ${f.error}\n`);
  if (jsonArg) {
    const json = JSON.stringify({ host, passed: failed.length === 0, total_ms: total, steps: results }, null, 2);
    if (jsonFile) fs.writeFileSync(jsonFile, json);
    else process.stdout.write(`${json}\n`);
  }
  return failed.length === 0;
}

/** The server at QB_HOST, or one started here on a free port with an in-memory database. */
async function server(): Promise<{ host: string; stop?: () => Promise<void> }> {
  if (process.env.QB_HOST) return { host: process.env.QB_HOST };
  process.stdout.write(dim('Starting the reference server (in-memory database)…\n'));
  const running = await startServer({
    config: { port: 0, host: '127.0.0.1', dataDir: 'memory', devTools: true, allowPrivateWebhooks: true, logLevel: 'warn' },
    seedDemo: false,
  });
  process.env.QB_HOST = running.url;
  return { host: running.url, stop: running.close };
}

/** A clinic made through the dev tools, and a client for its key. */
async function newClinic(host: string) {
  const clinicRes = await fetch(`${host}/dev/clinics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Demo Smile Clinic', timezone: 'America/New_York' }),
  });
  if (clinicRes.status !== 201)
    throw new Error(`POST /dev/clinics answered ${clinicRes.status}: is this server running with QB_DEV_TOOLS=1?`);
  const clinic = (await clinicRes.json()) as Demo['clinic'];
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${host}${path}`, {
      method,
      headers: { authorization: `Bearer ${clinic.api_key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  return { clinic, api };
}

async function main() {
  const started = performance.now();
  const { host, stop } = await server();
  process.stdout.write(`${bold('QualifyBase Zapier app demo')} against ${host}\n\n`);
  loadApp();
  const { createAppTester } = require('zapier-platform-core') as typeof import('zapier-platform-core');
  const { clinic, api } = await newClinic(host);
  const d: Demo = {
    appTester: createAppTester(App) as Demo['appTester'],
    authData: { api_key: clinic.api_key },
    api,
    clinic,
    hooks: await startHookReceiver(),
    hookKeys: Object.keys(triggers).filter((k) => triggers[k]?.operation.type === 'hook'),
    subscriptions: {},
  };
  await connect(d);
  await everyHook(d);
  await actionsAndFilters(d);
  await unsubscribeAll(d);
  await d.hooks.close();
  if (stop) await stop();
  process.exit(printSummary(started, host) ? 0 : 1);
}

main().catch((error) => {
  process.stderr.write(`${red('demo failed:')} ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

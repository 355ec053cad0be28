/**
 * One test run of every operation of the app against the reference server, the stand-in for the
 * Zap History that Zapier's run checks (T002–T006, Z001) read: each hook trigger subscribed to a
 * receiver of its own, its event caused through the API, the real signed delivery through
 * perform, and its performList (the editor's "polling sample"); each dropdown trigger, create and
 * search run once with realistic input.
 */
import type { LiveRun, Operation } from '../app/publishing-checks';
import type { TestClinic } from '../../server/test/support/server';
import { app, run, subscribe, type Subscription } from './zap';

type Item = Record<string, unknown>;

async function ok<T = any>(res: Promise<{ status: number; body: T }>, status: number): Promise<T> {
  const { status: got, body } = await res;
  if (got !== status) throw new Error(`expected ${status}, got ${got}: ${JSON.stringify(body)}`);
  return body;
}

const operation = (group: 'triggers' | 'creates' | 'searches', key: string): Operation => app[group][key] as Operation;

/** Causes one event of every kind through the API and the dev tools. */
async function causeEveryEvent(clinic: TestClinic): Promise<void> {
  const { api } = clinic;
  const lead = await ok(api.post('/api/v1/leads', { full_name: 'Riley Park', email: 'riley@example.com', phone: '+14155550160' }), 201);
  await ok(api.patch(`/api/v1/leads/${lead.id}`, { status: 'contacted' }), 200);
  const [first, second, third] = (await ok(api.get('/api/v1/availability?limit=3'), 200)).data;
  const booked = await ok(api.post('/api/v1/appointments', { lead_id: lead.id, ...first }), 201);
  await ok(api.patch(`/api/v1/appointments/${booked.id}`, second), 200);
  await ok(api.delete(`/api/v1/appointments/${booked.id}`), 200);
  // A confirmed appointment for the confirmed lists' samples.
  await ok(api.post('/api/v1/appointments', { lead_id: lead.id, ...third }), 201);
  for (const status of ['qualified', 'not_interested', 'exhausted', 'callback_requested']) {
    const contact = await ok(
      api.post(`/api/v1/campaigns/${clinic.campaigns[0]!.id}/contacts`, {
        name: `Contact ${status}`,
        phone: '+14155550170',
        interest: 'implants',
        city: 'Boston',
      }),
      201,
    );
    await ok(api.post(`/dev/campaign-contacts/${contact.id}/outcome`, { status }), 200);
  }
}

/** Every hook trigger: its first real delivery through perform, and its performList. */
async function runHooks(clinic: TestClinic): Promise<LiveRun[]> {
  const keys = Object.keys(app.triggers).filter((key) => app.triggers[key].operation.type === 'hook');
  const subscriptions: Subscription[] = [];
  for (const key of keys) subscriptions.push(await subscribe(key, clinic.api_key));
  try {
    await causeEveryEvent(clinic);
    const runs: LiveRun[] = [];
    for (const sub of subscriptions) {
      const [delivery] = await sub.receiver.waitFor(1, 20_000);
      const results = await sub.perform<Item>(delivery!);
      const pollingSample = await run<Item[]>(app.triggers[sub.key].operation.performList, clinic.api_key);
      runs.push({ where: `triggers.${sub.key}`, op: operation('triggers', sub.key), results, pollingSample });
    }
    return runs;
  } finally {
    for (const sub of subscriptions) {
      await sub.unsubscribe();
      await sub.receiver.close();
    }
  }
}

/** Every dropdown (polling) trigger's first page. */
async function runDropdowns(clinic: TestClinic): Promise<LiveRun[]> {
  const keys = Object.keys(app.triggers).filter((key) => app.triggers[key].operation.type !== 'hook');
  const runs: LiveRun[] = [];
  for (const key of keys) {
    const results = await run<Item[]>(app.triggers[key].operation.perform, clinic.api_key, { meta: { page: 0 } });
    runs.push({ where: `triggers.${key}`, op: operation('triggers', key), results });
  }
  return runs;
}

/** Every create and search, once, each on what the previous ones made. */
async function runActions(clinic: TestClinic): Promise<LiveRun[]> {
  const runs: LiveRun[] = [];
  const act = async (group: 'creates' | 'searches', key: string, inputData: Item): Promise<Item[]> => {
    const output = await run<Item | Item[]>(app[group][key].operation.perform, clinic.api_key, { inputData });
    const results = Array.isArray(output) ? output : [output];
    runs.push({ where: `${group}.${key}`, op: operation(group, key), results });
    return results;
  };
  const [lead] = await act('creates', 'lead', { full_name: 'Sam Lee', email: 'sam.lee@example.com', source: 'website' });
  await act('creates', 'lead_update', { lead_id: lead!.id, status: 'qualified', city: 'Boston' });
  await act('searches', 'find_lead', { email: 'sam.lee@example.com' });
  const [slot, later] = await act('searches', 'find_available_slot', { limit: 2 });
  const [booked] = await act('creates', 'appointment', { lead_id: lead!.id, scheduled_at: slot!.scheduled_at, title: 'Consultation' });
  await act('searches', 'find_appointment', { lead_id: lead!.id });
  await act('creates', 'appointment_update', { appointment_id: booked!.id, scheduled_at: later!.scheduled_at, ends_at: later!.ends_at });
  await act('creates', 'appointment_cancel', { appointment_id: booked!.id });
  const block = {
    external_source: 'google_calendar',
    external_id: 'evt_live_run',
    starts_at: later!.scheduled_at,
    ends_at: later!.ends_at,
  };
  await act('creates', 'calendar_block', block);
  await act('creates', 'calendar_unblock', { external_source: block.external_source, external_id: block.external_id });
  await act('creates', 'campaign_contact', {
    campaign_id: clinic.campaigns[1]!.id,
    name: 'Jo Kim',
    phone: '+14155550180',
    interest: 'whitening',
    city: 'Austin',
  });
  return runs;
}

/** The live run of every trigger, create and search of the app. */
export async function runEveryOperation(clinic: TestClinic): Promise<LiveRun[]> {
  const hooks = await runHooks(clinic);
  const dropdowns = await runDropdowns(clinic);
  const actions = await runActions(clinic);
  return [...hooks, ...dropdowns, ...actions];
}

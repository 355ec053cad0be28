/**
 * An outage under a burst of the app's writes: PostgreSQL is stopped while Book Appointment, Add
 * Contact to Campaign, Create Lead and Block Calendar Slot run, on the reference server over a
 * real PostgreSQL server. While it is down the API answers 503 with Retry-After and every step
 * ends with ThrottledError (Zapier retries it); once it is back, each throttled step run again
 * (as Zapier does: the same step, so the same Idempotency-Key) succeeds, and every write is there
 * exactly once, including those cut off in flight.
 *
 * PostgreSQL only: PGlite runs inside the server's process, so it cannot go down on its own.
 */
import { startTestServer, type TestClinic, type TestServer } from '../../server/test/support/server';
import { waitUntil } from '../../server/test/support/wait';
import { type ControlledPostgres, startControlledPostgres } from './postgres';
import { app, run } from './zap';

/** One step of a Zap: an operation and its input. */
interface Step {
  create: 'appointment' | 'campaign_contact' | 'lead' | 'calendar_block';
  inputData: Record<string, unknown>;
}

type Outcome = { ok: true } | { ok: false; error: Error };

describe('e2e: an outage is retried, never duplicated (PostgreSQL stopped under a burst of writes)', () => {
  let pg: ControlledPostgres;
  let srv: TestServer;
  let clinic: TestClinic;
  let savedEnv: { host?: string; pg?: string };

  beforeAll(async () => {
    pg = await startControlledPostgres();
    savedEnv = { host: process.env.QB_HOST, pg: process.env.QB_TEST_PG_URL };
    process.env.QB_TEST_PG_URL = pg.url;
    srv = await startTestServer('postgres');
    process.env.QB_HOST = srv.url;
    clinic = await srv.clinic('Outage Clinic');
  }, 120_000);
  afterAll(async () => {
    for (const [name, value] of [
      ['QB_HOST', savedEnv.host],
      ['QB_TEST_PG_URL', savedEnv.pg],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await srv?.close();
    await pg?.stop();
  });

  /** Steps of each kind for `tag` (1, 2, 3): a booking per slot (a lead each), a contact, a lead and a block per slot. */
  async function steps(tag: number, slots: Array<{ scheduled_at: string }>): Promise<Step[]> {
    const out: Step[] = [];
    for (const [i, slot] of slots.entries()) {
      const lead = (await clinic.api.post('/api/v1/leads', { email: `booked-${tag}-${i}@example.com` })).body;
      const day = new Date(Date.parse(slot.scheduled_at) + (30 + tag) * 86_400_000).toISOString().slice(0, 10);
      const phone = `+1415555${tag}${String(i).padStart(3, '0')}`;
      out.push(
        { create: 'appointment', inputData: { lead_id: lead.id, scheduled_at: slot.scheduled_at } },
        {
          create: 'campaign_contact',
          inputData: { campaign_id: clinic.campaigns[0]!.id, name: `Contact ${tag}-${i}`, phone, interest: 'implants', city: 'Reno' },
        },
        { create: 'lead', inputData: { full_name: `Lead ${tag}-${i}`, email: `new-${tag}-${i}@example.com` } },
        {
          create: 'calendar_block',
          inputData: {
            external_source: 'ical',
            external_id: `evt-${tag}-${i}`,
            starts_at: `${day}T1${i}:00:00Z`,
            ends_at: `${day}T1${i}:30:00Z`,
          },
        },
      );
    }
    return out;
  }

  /** How many times a step's write is stored. */
  async function stored({ create, inputData }: Step): Promise<number> {
    const total = async (path: string) => (await clinic.api.get(path)).body.meta.total as number;
    if (create === 'appointment') return total(`/api/v1/appointments?lead_id=${inputData.lead_id}`);
    if (create === 'lead') return total(`/api/v1/leads?email=${encodeURIComponent(String(inputData.email))}`);
    if (create === 'campaign_contact') {
      const contacts = (await clinic.api.get(`/api/v1/campaigns/contacts?campaign_id=${inputData.campaign_id}&per_page=100`)).body.data;
      return contacts.filter((c: { phone: string }) => c.phone === inputData.phone).length;
    }
    const blocks = await srv.running.deps.database.db
      .selectFrom('calendar_blocks')
      .select('id')
      .where('clinic_id', '=', clinic.clinic.id)
      .where('external_id', '=', String(inputData.external_id))
      .execute();
    return blocks.length;
  }

  const runStep = (step: Step): Promise<Outcome> =>
    run(app.creates[step.create].operation.perform, clinic.api_key, { inputData: step.inputData }).then(
      () => ({ ok: true }),
      (error: Error) => ({ ok: false, error }),
    );

  it('while PostgreSQL is down the app throttles (503 + Retry-After); after it is back, every write is there exactly once', async () => {
    const slots = (await clinic.api.get('/api/v1/availability?limit=9')).body.data;
    const [before, inFlight, during] = [
      await steps(1, slots.slice(0, 3)),
      await steps(2, slots.slice(3, 6)),
      await steps(3, slots.slice(6, 9)),
    ];
    // During the outage no helper may touch the database: all three sets are prepared above.
    expect((await Promise.all(before.map(runStep))).every((o) => o.ok)).toBe(true);

    // A burst in flight as PostgreSQL stops, then one while it is down.
    const [flying] = await Promise.all([Promise.all(inFlight.map(runStep)), pg.pause()]);
    const down = await Promise.all(during.map(runStep));
    const direct = await clinic.api.get('/api/v1/leads');
    expect(direct.status).toBe(503);
    expect(direct.body).toMatchObject({ code: 'service_unavailable' });
    expect(Number(direct.headers.get('retry-after'))).toBeGreaterThan(0);

    for (const outcome of [...flying, ...down]) {
      if (!outcome.ok)
        expect([outcome.error.name, outcome.error.message]).toEqual([
          'ThrottledError',
          expect.stringMatching(/temporarily unavailable \(HTTP 503\)/),
        ]);
    }
    expect(down.every((o) => !o.ok)).toBe(true);

    await pg.resume();
    // Zapier runs each throttled step again later: the same step, so the same Idempotency-Key.
    const retried = [...inFlight, ...during].filter((_, i) => ![...flying, ...down][i]!.ok);
    await waitUntil(
      'every throttled step to succeed once PostgreSQL is back',
      async () => (await Promise.all(retried.map(runStep))).every((o) => o.ok),
      60_000,
    );

    // Every write exactly once.
    for (const step of [...before, ...inFlight, ...during]) {
      expect([step.create, step.inputData, await stored(step)]).toEqual([step.create, step.inputData, 1]);
    }
  }, 180_000);
});

/**
 * Issue 19: nothing grows forever. The retention sweep prunes finished webhook deliveries (with
 * their attempts) and then their events after QB_WEBHOOK_RETENTION_DAYS, and rate-limit windows
 * that ended, in bounded batches; it never touches a pending delivery or what it needs; and a
 * running server sweeps on its own.
 */
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import { createClinic } from '../services/clinics';
import { rateLimitPruneTask, runRetentionSweep, webhookPruneTasks } from '../services/retention';
import { backends, openTestDatabase } from './support/databases';
import { startTestServer } from './support/server';
import { waitUntil } from './support/wait';

const DAY = 86_400_000;

/** `count` deliveries of one subscription, each with its own event and one attempt, all `ageDays` old. */
async function seedDeliveries(database: DatabaseHandle, prefix: string, count: number, status: string, ageDays: number) {
  const { db } = database;
  const webhook = await db.selectFrom('webhooks').select(['id', 'clinic_id']).executeTakeFirstOrThrow();
  const at = new Date(Date.now() - ageDays * DAY);
  await sql`
    insert into webhook_events (id, clinic_id, type, payload, created_at)
    select ${`evt_${prefix}_`} || g, ${webhook.clinic_id}, 'lead.created', '{}', ${at} from generate_series(1, ${count}::int) g
  `.execute(db);
  await sql`
    insert into webhook_deliveries (id, clinic_id, webhook_id, event_id, status, dispatched, created_at, updated_at)
    select ${`msg_${prefix}_`} || g, ${webhook.clinic_id}, ${webhook.id}, ${`evt_${prefix}_`} || g, ${status}, true, ${at}, ${at}
    from generate_series(1, ${count}::int) g
  `.execute(db);
  await sql`
    insert into webhook_delivery_attempts (delivery_id, attempted_at, response_status, latency_ms)
    select id, ${at}, 200, 3 from webhook_deliveries where id like ${`msg_${prefix}_%`}
  `.execute(db);
}

async function count(database: DatabaseHandle, table: string, where = 'true'): Promise<number> {
  const result = await sql.raw<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`).execute(database.db);
  return Number(result.rows[0]!.n);
}

describe.each(backends())('the retention sweep on %s', (backend) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
    const { db } = database;
    const { clinic } = await createClinic(db, 'Retention', 'UTC');
    const key = await db.selectFrom('api_keys').select('id').where('clinic_id', '=', clinic.id).executeTakeFirstOrThrow();
    await db
      .insertInto('webhooks')
      .values({
        clinic_id: clinic.id,
        api_key_id: key.id,
        url: 'https://hooks.example.test/h',
        events: ['lead.created'],
        secret: 'whsec_x',
      })
      .execute();
  });
  afterAll(() => database.close());

  it('prunes finished deliveries, their attempts and events after the retention period, in bounded batches, and nothing else', async () => {
    await seedDeliveries(database, 'old_ok', 1_200, 'succeeded', 40);
    await seedDeliveries(database, 'old_failed', 30, 'failed', 31);
    await seedDeliveries(database, 'old_pending', 5, 'pending', 40);
    await seedDeliveries(database, 'recent', 20, 'succeeded', 29);
    // An old event no subscription wanted (no delivery at all), and a recent one.
    await sql`
      insert into webhook_events (id, clinic_id, type, payload, created_at)
      select 'evt_lonely_' || n, clinic_id, 'lead.created', '{}', now() - (n || ' days')::interval from webhooks, (values (40), (1)) as v(n)
    `.execute(database.db);

    const report = await runRetentionSweep(database.db, webhookPruneTasks(30));

    expect(report['webhook deliveries']!.deleted).toBe(1_230);
    expect(report['webhook deliveries']!.batches).toBeGreaterThanOrEqual(3); // at most 500 per statement
    expect(await count(database, 'webhook_deliveries')).toBe(25);
    expect(await count(database, 'webhook_deliveries', `id like 'msg_old_pending_%'`)).toBe(5);
    expect(await count(database, 'webhook_delivery_attempts')).toBe(25);
    expect(await count(database, 'webhook_events', `id like 'evt_old_%' and id not like 'evt_old_pending_%'`)).toBe(0);
    expect(await count(database, 'webhook_events', `id like 'evt_old_pending_%'`)).toBe(5);
    expect(await count(database, 'webhook_events', `id like 'evt_recent_%'`)).toBe(20);
    expect(await count(database, 'webhook_events', `id like 'evt_lonely_%'`)).toBe(1);
    // A second sweep finds nothing more.
    const again = await runRetentionSweep(database.db, webhookPruneTasks(30));
    expect(again['webhook deliveries']).toEqual({ deleted: 0, batches: 1 });
  });

  it('prunes rate-limit windows that ended, keeping the current and the last one', async () => {
    const now = Date.now();
    await database.db
      .insertInto('rate_limits')
      .values([
        { key_id: 'k1', window_start: new Date(now - 10 * 60_000), count: 5 },
        { key_id: 'k1', window_start: new Date(now - 3 * 60_000), count: 5 },
        { key_id: 'clinic:c1', window_start: new Date(now - 5 * 60_000), count: 9 },
        { key_id: 'k1', window_start: new Date(now - 60_000), count: 5 },
        { key_id: 'k1', window_start: new Date(now), count: 1 },
      ])
      .execute();
    const report = await runRetentionSweep(database.db, [rateLimitPruneTask]);
    expect(report['rate limits']!.deleted).toBe(3);
    expect(await count(database, 'rate_limits')).toBe(2);
  });
});

describe.each(backends())('a running server on %s', (backend) => {
  it('sweeps on its own every QB_RETENTION_INTERVAL_SECONDS', async () => {
    const srv = await startTestServer(backend, { runWorker: false, retentionIntervalSeconds: 0.2 });
    try {
      const { db } = srv.running.deps.database;
      await db
        .insertInto('rate_limits')
        .values({ key_id: 'gone', window_start: new Date(Date.now() - 3_600_000), count: 1 })
        .execute();
      await waitUntil(
        'the old window to be pruned',
        async () => (await db.selectFrom('rate_limits').select('key_id').where('key_id', '=', 'gone').execute()).length === 0,
        10_000,
      );
    } finally {
      await srv.close();
    }
  });
});

/**
 * Issue 19: a /metrics scrape stays cheap however long the delivery log grows. Every statement a
 * scrape runs is run again under EXPLAIN ANALYZE, over a log of thousands of finished
 * deliveries and three pending ones: no statement may read a finished delivery (nor an attempt or
 * an event), so its cost follows what is pending, not the size of the tables.
 */
import { CompiledQuery, createQueryId, type KyselyPlugin, type RootOperationNode, sql } from 'kysely';
import pino from 'pino';
import type { DatabaseHandle } from '../db/connect';
import { startServer, type RunningServer } from '../server';
import { createClinic } from '../services/clinics';
import { backends, openTestDatabase } from './support/databases';
import { rawRequest } from './support/server';

const TOKEN = 'metrics-cost-token-0123456789abcdef';
const FINISHED = 5_000;
const PENDING = 3;
const WEBHOOK_TABLES = ['webhook_deliveries', 'webhook_delivery_attempts', 'webhook_events'];

/** Remembers every statement run through it. */
function capturing(): KyselyPlugin & { nodes: RootOperationNode[] } {
  const nodes: RootOperationNode[] = [];
  return {
    nodes,
    transformQuery(args) {
      nodes.push(args.node);
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows each webhook table's scans read (returned or filtered out), over a plan tree. */
function rowsRead(node: PlanNode, into: Record<string, number> = {}): Record<string, number> {
  const relation = node['Relation Name'];
  if (relation && WEBHOOK_TABLES.includes(relation)) {
    const perLoop = (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0);
    into[relation] = (into[relation] ?? 0) + perLoop * (node['Actual Loops'] ?? 1);
  }
  for (const child of node.Plans ?? []) rowsRead(child, into);
  return into;
}

async function seedDeliveryLog(database: DatabaseHandle): Promise<void> {
  const { db } = database;
  const { clinic, api_key } = await createClinic(db, 'Metrics Cost', 'UTC');
  const key = await db.selectFrom('api_keys').select('id').where('clinic_id', '=', clinic.id).executeTakeFirstOrThrow();
  expect(api_key).toBeTruthy();
  const webhook = await db
    .insertInto('webhooks')
    .values({ clinic_id: clinic.id, api_key_id: key.id, url: 'https://hooks.example.test/h', events: ['lead.created'], secret: 'whsec_x' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const total = FINISHED + PENDING;
  await sql`
    insert into webhook_events (id, clinic_id, type, payload, created_at)
    select 'evt_cost_' || g, ${clinic.id}, 'lead.created', '{}', now() - interval '2 days' from generate_series(1, ${total}::int) g
  `.execute(db);
  await sql`
    insert into webhook_deliveries (id, clinic_id, webhook_id, event_id, status, attempt_count, dispatched, next_attempt_at, created_at, updated_at)
    select 'msg_' || lpad(g::text, 32, '0'), ${clinic.id}, ${webhook.id}, 'evt_cost_' || g,
      case when g <= ${FINISHED}::int then 'succeeded' else 'pending' end, 1, true,
      case when g <= ${FINISHED}::int then null else now() + interval '1 hour' end,
      now() - interval '2 days', now() - interval '2 days'
    from generate_series(1, ${total}::int) g
  `.execute(db);
  await sql`
    insert into webhook_delivery_attempts (delivery_id, attempted_at, response_status, latency_ms)
    select id, created_at, 200, 5 from webhook_deliveries
  `.execute(db);
  await sql`analyze`.execute(db);
}

describe.each(backends())('the cost of a /metrics scrape on %s', (backend) => {
  let database: DatabaseHandle;
  let running: RunningServer;
  const plugin = capturing();

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    running = await startServer({
      database: { ...database, db: database.db.withPlugin(plugin) },
      config: { port: 0, host: '127.0.0.1', runWorker: false, metricsToken: TOKEN },
      logger: pino({ level: 'silent' }),
      seedDemo: false,
    });
    await seedDeliveryLog(database);
  });
  afterAll(async () => {
    await running.close();
    await database.close();
  });

  it('reads only the pending deliveries, however many finished ones the log holds', async () => {
    plugin.nodes.length = 0;
    const res = await rawRequest(running.url, 'GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(String(res.body)).toMatch(new RegExp(`^qualifybase_webhook_queue_depth ${PENDING}$`, 'm'));

    const statements = plugin.nodes.map((node) => database.db.getExecutor().compileQuery(node, createQueryId()));
    let pendingRead = 0;
    for (const statement of statements) {
      const explained = await database.db.executeQuery<{ 'QUERY PLAN': unknown }>(
        CompiledQuery.raw(`explain (analyze, format json) ${statement.sql}`, [...statement.parameters]),
      );
      const raw = explained.rows[0]!['QUERY PLAN'];
      const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
      const read = rowsRead(plan[0]!.Plan);
      const tooMany = Object.entries(read).filter(([, rows]) => rows > PENDING);
      expect({ sql: statement.sql, tooMany }).toEqual({ sql: statement.sql, tooMany: [] });
      pendingRead += read.webhook_deliveries ?? 0;
    }
    expect(pendingRead).toBeGreaterThanOrEqual(PENDING); // the queue gauges did read the pending ones
  });
});

/**
 * The key statement (server/http/rate-limit.ts, every API request) finds each request's key by
 * its hash through the key_hash index, whatever the number of keys. Its generic plan (the one a
 * prepared statement keeps) once read the whole api_keys table and hashed the batch instead:
 * 84 of the statement's 330 µs with the 232 keys of a POST profile (issue 20, round 12), and more
 * with every key a deployment issues. The refresh of `last_used_at` may read the table whole
 * (the planner's choice for a small one), but only in a batch that has a key to refresh (once a
 * minute per key), never in the others.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import { COUNT_KEY_REQUESTS } from '../http/rate-limit';
import { createClinic } from '../services/clinics';
import { backends, openTestDatabase } from './support/databases';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'One-Time Filter'?: string;
  Plans?: PlanNode[];
}

/** Each node of the plan, with whether a node above it runs it only when a one-time filter holds. */
function* nodes(node: PlanNode, gated = false): Generator<{ node: PlanNode; gated: boolean }> {
  yield { node, gated };
  for (const child of node.Plans ?? []) yield* nodes(child, gated || node['One-Time Filter'] !== undefined);
}

/** The key statement's generic plan (EXPLAIN, JSON). */
async function keyStatementPlan(db: Kysely<Database>, hashes: string[]): Promise<PlanNode> {
  return db.connection().execute(async (conn) => {
    await sql`set plan_cache_mode = force_generic_plan`.execute(conn);
    await sql.raw(`prepare qb_key_plan(text[], int) as ${COUNT_KEY_REQUESTS.text}`).execute(conn);
    const list = `'{${hashes.join(',')}}'`;
    const { rows } = await sql<Record<string, unknown>>`explain (format json) execute qb_key_plan(${sql.raw(list)}, 120)`.execute(conn);
    await sql`deallocate qb_key_plan`.execute(conn);
    await sql`reset plan_cache_mode`.execute(conn);
    const plan = rows[0]!['QUERY PLAN'];
    return (typeof plan === 'string' ? JSON.parse(plan) : plan)[0].Plan as PlanNode;
  });
}

describe.each(backends())("the key statement's plan on %s", (backend) => {
  it('reads api_keys by key hash, not whole, with hundreds of keys', async () => {
    const database = await openTestDatabase(backend);
    const { db } = database;
    try {
      const { clinic } = await createClinic(db, 'Many keys', 'UTC');
      await sql`
        insert into api_keys (clinic_id, name, prefix, key_hash, scopes)
        select ${clinic.id}::uuid, 'key ' || i, 'qb_' || i, 'hash-' || i, '{appointments:read}' from generate_series(1, 300) as i`.execute(
        db,
      );
      await sql`analyze api_keys`.execute(db);
      const plan = await keyStatementPlan(db, ['hash-1', 'hash-2', 'hash-3']);
      const all = [...nodes(plan)];
      expect(all.some(({ node }) => node['Index Name'] === 'api_keys_key_hash_key')).toBe(true);
      const wholeReads = all.filter(({ node }) => node['Relation Name'] === 'api_keys' && node['Node Type'] === 'Seq Scan');
      expect(wholeReads.filter(({ gated }) => !gated)).toEqual([]);
    } finally {
      await database.close();
    }
  });
});

/** Agents: the clinic's inbound and outbound AI callers (read-only in the public API). */
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Agent, AgentListQuery } from '../../contract';
import type { Database } from '../db/schema';
import { paginate, type Page } from './pagination';
import { toAgent } from './serialize';

export async function listAgents(db: Kysely<Database>, clinicId: string, q: z.output<typeof AgentListQuery>): Promise<Page<Agent>> {
  let query = db.selectFrom('agents').where('clinic_id', '=', clinicId);
  if (q.direction) query = query.where('direction', '=', q.direction);
  return paginate(query, q, (qb) => qb.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), toAgent);
}

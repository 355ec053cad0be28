import { Agent, AgentListQuery, listOf } from '../../contract';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { apiRoute, json } from '../http/route';
import { listAgents } from '../services/agents';

const AgentList = listOf(Agent, 'AgentList');

const list = apiRoute({
  method: 'get',
  path: '/api/v1/agents',
  tags: ['Agents'],
  operationId: 'listAgents',
  summary: 'List agents',
  description:
    'Newest first. Filter by direction, e.g. `direction=outbound` to pick the agent a lead is assigned to (POST /api/v1/leads `agent_id`).',
  scope: 'agents:read',
  request: { query: AgentListQuery },
  responses: { 200: json(AgentList, 'A page of agents') },
});

export function registerAgentRoutes(app: ApiApp, { database: { db } }: ServerDeps): void {
  app.openapi(list, async (c) => c.json(await listAgents(db, c.var.auth.clinicId, c.req.valid('query')), 200));
}

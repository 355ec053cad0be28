import {
  Agent,
  AgentListQuery,
  Campaign,
  CampaignContact,
  CampaignListQuery,
  ContactCreate,
  ContactListQuery,
  IdParam,
  listOf,
} from '../../contract';
import type { ApiApp } from '../app';
import type { ServerDeps } from '../context';
import { apiRoute, json, jsonBody } from '../http/route';
import { addContact, listAgents, listCampaigns, listContacts } from '../services/campaigns';

const AgentList = listOf(Agent, 'AgentList');
const CampaignList = listOf(Campaign, 'CampaignList');
const ContactList = listOf(CampaignContact, 'CampaignContactList');

const agents = apiRoute({
  method: 'get',
  path: '/api/v1/agents',
  tags: ['Agents'],
  operationId: 'listAgents',
  summary: 'List agents',
  description: 'Filter by direction, e.g. `direction=outbound` to pick the agent a lead is assigned to.',
  scope: 'agents:read',
  request: { query: AgentListQuery },
  responses: { 200: json(AgentList, 'A page of agents') },
});

const campaigns = apiRoute({
  method: 'get',
  path: '/api/v1/campaigns',
  tags: ['Campaigns'],
  operationId: 'listCampaigns',
  summary: 'List outbound campaigns',
  scope: 'campaigns:read',
  request: { query: CampaignListQuery },
  responses: { 200: json(CampaignList, 'A page of campaigns') },
});

const contacts = apiRoute({
  method: 'get',
  path: '/api/v1/campaigns/contacts',
  tags: ['Campaigns'],
  operationId: 'listCampaignContacts',
  summary: 'List campaign contacts across campaigns',
  description: 'Most recently changed first, so fresh call outcomes lead the list. Filter by status and campaign_id.',
  scope: 'campaigns:read',
  request: { query: ContactListQuery },
  responses: { 200: json(ContactList, 'A page of contacts') },
});

const add = apiRoute({
  method: 'post',
  path: '/api/v1/campaigns/{id}/contacts',
  tags: ['Campaigns'],
  operationId: 'addCampaignContact',
  summary: 'Add one contact to an outbound campaign',
  description:
    "name, phone (E.164), interest and city are required. The campaign must be active. The contact is returned with status pending, attempts 0 and a validation_status: needs_review (with validation_messages) when its country differs from the campaign's target country or its phone's calling code contradicts its country.",
  scope: 'campaigns:write',
  request: { params: IdParam, body: jsonBody(ContactCreate) },
  responses: { 201: json(CampaignContact, 'The new contact') },
  errors: [404, 413],
});

export function registerCampaignRoutes(app: ApiApp, { database: { db } }: ServerDeps): void {
  app.openapi(agents, async (c) => c.json(await listAgents(db, c.var.auth.clinicId, c.req.valid('query')), 200));
  app.openapi(campaigns, async (c) => c.json(await listCampaigns(db, c.var.auth.clinicId, c.req.valid('query')), 200));
  // Registered before /campaigns/{id}/... so "contacts" is never read as an id.
  app.openapi(contacts, async (c) => c.json(await listContacts(db, c.var.auth.clinicId, c.req.valid('query')), 200));
  app.openapi(add, async (c) =>
    c.json(await addContact(db, c.var.auth.clinicId, c.req.valid('param').id, c.req.valid('json')), 201),
  );
}

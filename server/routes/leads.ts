import { IdParam, Lead, LeadCreate, LeadListQuery, LeadUpdate, listOf, CursorPageMeta } from '../../contract';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { apiRoute, json, jsonBody } from '../http/route';
import { createOrUpdateLead, getLead, listLeads, updateLead } from '../services/leads';

const tags = ['Leads'];
const LeadList = listOf(Lead, 'LeadList', CursorPageMeta);

const list = apiRoute({
  method: 'get',
  path: '/api/v1/leads',
  tags,
  operationId: 'listLeads',
  summary: 'List leads',
  description:
    'Newest first. Filter by text search (name, phone, email), status, source, agent, exact email or phone, or external source and id.',
  scope: 'leads:read',
  request: { query: LeadListQuery },
  responses: { 200: json(LeadList, 'A page of leads') },
});

const create = apiRoute({
  method: 'post',
  path: '/api/v1/leads',
  tags,
  operationId: 'createOrUpdateLead',
  summary: 'Create or update a lead',
  description:
    'At least one of phone or email is required. With external_source + external_id the call is idempotent: the same pair updates the existing lead (200) instead of creating a duplicate (201).',
  scope: 'leads:write',
  idempotent: true,
  request: { body: jsonBody(LeadCreate) },
  responses: { 200: json(Lead, 'The existing lead, updated'), 201: json(Lead, 'The new lead') },
  errors: [413],
});

const get = apiRoute({
  method: 'get',
  path: '/api/v1/leads/{id}',
  tags,
  operationId: 'getLead',
  summary: 'Get a lead',
  scope: 'leads:read',
  request: { params: IdParam },
  responses: { 200: json(Lead, 'The lead') },
  errors: [404],
});

const update = apiRoute({
  method: 'patch',
  path: '/api/v1/leads/{id}',
  tags,
  operationId: 'updateLead',
  summary: 'Update a lead',
  description: 'Send only the fields to change; null clears a field.',
  scope: 'leads:write',
  idempotent: true,
  request: { params: IdParam, body: jsonBody(LeadUpdate) },
  responses: { 200: json(Lead, 'The updated lead') },
  errors: [404, 413],
});

export function registerLeadRoutes(app: ApiApp, { database: { db }, config: links }: ServerDeps): void {
  app.openapi(list, async (c) => c.json(await listLeads(db, links, c.var.auth.clinicId, c.req.valid('query')), 200));
  app.openapi(create, async (c) => {
    const { lead, created } = await createOrUpdateLead(c.var.database.db, links, c.var.auth.clinicId, c.req.valid('json'));
    return created ? c.json(lead, 201) : c.json(lead, 200);
  });
  app.openapi(get, async (c) => c.json(await getLead(db, links, c.var.auth.clinicId, c.req.valid('param').id), 200));
  app.openapi(update, async (c) =>
    c.json(await updateLead(c.var.database.db, links, c.var.auth.clinicId, c.req.valid('param').id, c.req.valid('json')), 200),
  );
}

import {
  Campaign,
  CampaignContact,
  CampaignContactParam,
  CampaignListQuery,
  ContactCreate,
  ContactListQuery,
  CursorPageMeta,
  IdParam,
  listOf,
} from '../../contract';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { notFound } from '../errors';
import { apiRoute, json, jsonBody } from '../http/route';
import { addContact, CALLING_CODES, getContact, listCampaigns, listContacts } from '../services/campaigns';

/** `US +1, CA +1, ...`, from the table the check uses, so the document cannot drift from it. */
function callingCodeList(): string {
  return Object.entries(CALLING_CODES)
    .map(([country, code]) => `${country} ${code}`)
    .join(', ');
}

const CampaignList = listOf(Campaign, 'CampaignList');
const ContactList = listOf(CampaignContact, 'CampaignContactList', CursorPageMeta);

const campaigns = apiRoute({
  method: 'get',
  path: '/api/v1/campaigns',
  tags: ['Campaigns'],
  operationId: 'listCampaigns',
  summary: 'List outbound campaigns',
  description: 'Newest first. `total_contacts` counts every contact of the campaign, whatever its status.',
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
  description:
    'Ordered by `updated_at`, most recently changed first (not by creation), so fresh call outcomes lead the list. Filter by status and campaign_id.',
  scope: 'campaigns:read',
  request: { query: ContactListQuery },
  responses: { 200: json(ContactList, 'A page of contacts') },
});

const getOne = apiRoute({
  method: 'get',
  path: '/api/v1/campaigns/{id}/contacts/{contact_id}',
  tags: ['Campaigns'],
  operationId: 'getCampaignContact',
  summary: 'Get a contact of a campaign',
  description: "The contact as it is now: its call status and attempts change as the campaign's AI agent calls.",
  scope: 'campaigns:read',
  request: { params: CampaignContactParam },
  responses: { 200: json(CampaignContact, 'The contact') },
  errors: [404],
});

const add = apiRoute({
  method: 'post',
  path: '/api/v1/campaigns/{id}/contacts',
  tags: ['Campaigns'],
  operationId: 'addCampaignContact',
  summary: 'Add one contact to an outbound campaign',
  description: [
    'name, phone (E.164), interest and city are required; country, email, language and notes are optional. The campaign must be `active` (otherwise 400 invalid_input).',
    '',
    'The contact is stored with status `pending` and attempts 0. Its `validation_status` is `needs_review`, with the reasons in `validation_messages`, when:',
    "- its country differs from the campaign's `target_country`; or",
    `- the phone does not start with the calling code of the contact's country (or, without a country, the campaign's target country). Only these countries are checked: ${callingCodeList()}. For other countries the phone is not checked. Otherwise \`validation_status\` is \`valid\`.`,
  ].join('\n'),
  scope: 'campaigns:write',
  idempotent: true,
  request: { params: IdParam, body: jsonBody(ContactCreate) },
  responses: { 201: json(CampaignContact, 'The new contact') },
  errors: [404, 413],
});

export function registerCampaignRoutes(app: ApiApp, { database: { db }, config: links }: ServerDeps): void {
  app.openapi(campaigns, async (c) => c.json(await listCampaigns(db, c.var.auth.clinicId, c.req.valid('query')), 200));
  // Registered before /campaigns/{id}/... so "contacts" is never read as an id.
  app.openapi(contacts, async (c) => c.json(await listContacts(db, links, c.var.auth.clinicId, c.req.valid('query')), 200));
  app.openapi(getOne, async (c) => {
    const { id, contact_id } = c.req.valid('param');
    const contact = await getContact(db, links, c.var.auth.clinicId, contact_id);
    if (contact.campaign_id !== id) throw notFound('Campaign contact');
    return c.json(contact, 200);
  });
  app.openapi(add, async (c) =>
    c.json(await addContact(c.var.database.db, links, c.var.auth.clinicId, c.req.valid('param').id, c.req.valid('json')), 201),
  );
}

/** Webhook subscriptions, owned by the API key that created them. */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Webhook, WebhookCreate, WebhookCreated, WebhookListQuery } from '../../contract';
import type { Database } from '../db/schema';
import { invalidInput, notFound } from '../errors';
import { assertDeliverableUrl, UrlPolicyError } from '../webhooks/url-policy';
import { paginate, type Page } from './pagination';
import { toWebhook } from './serialize';

export interface Owner {
  clinicId: string;
  keyId: string;
}

/** Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The API's list: one page of the calling key's subscriptions, newest first. */
export async function listWebhookPage(db: Kysely<Database>, owner: Owner, q: z.output<typeof WebhookListQuery>): Promise<Page<Webhook>> {
  const query = db.selectFrom('webhooks').where('clinic_id', '=', owner.clinicId).where('api_key_id', '=', owner.keyId);
  return paginate(query, q, (qb) => qb.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), toWebhook);
}

/** Every subscription of one key, newest first (the dashboard's view). */
export async function listWebhooks(db: Kysely<Database>, owner: Owner): Promise<Webhook[]> {
  const rows = await db
    .selectFrom('webhooks')
    .selectAll()
    .where('clinic_id', '=', owner.clinicId)
    .where('api_key_id', '=', owner.keyId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toWebhook);
}

export async function createWebhook(
  db: Kysely<Database>,
  owner: Owner,
  input: WebhookCreate,
  allowPrivate: boolean,
): Promise<WebhookCreated> {
  try {
    await assertDeliverableUrl(input.url, { allowPrivate });
  } catch (error) {
    if (error instanceof UrlPolicyError) throw invalidInput(error.message, [{ path: 'url', message: error.message }]);
    throw error;
  }
  const secret = newSigningSecret();
  const row = await db
    .insertInto('webhooks')
    .values({ clinic_id: owner.clinicId, api_key_id: owner.keyId, url: input.url, events: [...new Set(input.events)], secret })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...toWebhook(row), signingSecret: secret };
}

/** Only the key that created a subscription can see or delete it; anything else is not found. */
export async function findOwnWebhook(db: Kysely<Database>, owner: Owner, id: string) {
  const row = await db
    .selectFrom('webhooks')
    .selectAll()
    .where('clinic_id', '=', owner.clinicId)
    .where('api_key_id', '=', owner.keyId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Webhook');
  return row;
}

export async function deleteWebhook(db: Kysely<Database>, owner: Owner, id: string): Promise<void> {
  const result = await db
    .deleteFrom('webhooks')
    .where('clinic_id', '=', owner.clinicId)
    .where('api_key_id', '=', owner.keyId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound('Webhook');
}

/** The dashboard's delete: any subscription of the clinic (its deliveries go with it). */
export async function deleteClinicWebhook(db: Kysely<Database>, clinicId: string, id: string): Promise<void> {
  const result = await db.deleteFrom('webhooks').where('clinic_id', '=', clinicId).where('id', '=', id).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound('Webhook');
}

/**
 * The dashboard's re-enable of a disabled subscription: new events get deliveries again. A
 * subscription whose API key was revoked stays disabled (delete it; the integration subscribes
 * again with a live key).
 */
export async function enableClinicWebhook(db: Kysely<Database>, clinicId: string, id: string): Promise<void> {
  const row = await db
    .selectFrom('webhooks as w')
    .innerJoin('api_keys as k', 'k.id', 'w.api_key_id')
    .select(['w.id', 'k.revoked_at'])
    .where('w.clinic_id', '=', clinicId)
    .where('w.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Webhook');
  if (row.revoked_at) throw invalidInput("This subscription's API key was revoked: it cannot be re-enabled. Delete it instead.");
  await db
    .updateTable('webhooks')
    .set({ status: 'active', disabled_reason: null, failing_since: null })
    .where('id', '=', id)
    .where('status', '=', 'disabled')
    .execute();
}

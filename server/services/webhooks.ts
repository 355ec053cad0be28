/**
 * Webhook subscriptions, owned by the API key that created them, and the caps on them: at most
 * `webhooksPerKey` active subscriptions per key and `webhooksPerClinic` per clinic (every one is an
 * extra POST per event). Whatever makes a subscription active (subscribing, re-enabling,
 * redelivering into a disabled one) checks the caps under a per-clinic transaction lock, so
 * requests racing on several instances cannot pass a cap together.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { Webhook, WebhookCreate, WebhookCreated, WebhookListQuery } from '../../contract';
import type { ServerConfig } from '../config';
import type { Database } from '../db/schema';
import { ApiError, invalidInput, notFound } from '../errors';
import { deleteSubscriptions } from '../webhooks/removal';
import { assertDeliverableUrl, UrlPolicyError, type UrlPolicy } from '../webhooks/url-policy';
import { paginate, type Page } from './pagination';
import { toWebhook } from './serialize';

export interface Owner {
  clinicId: string;
  keyId: string;
}

export type SubscriptionCaps = Pick<ServerConfig, 'webhooksPerKey' | 'webhooksPerClinic'>;

/**
 * Serialises, until the transaction ends, everything that makes one clinic's subscriptions active
 * (an advisory lock: no row is locked, so writes that record events for the clinic never wait).
 */
async function lockClinicSubscriptions(trx: Transaction<Database>, clinicId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`qb.webhooks.${clinicId}`}, 0))`.execute(trx);
}

/** Throws 409 limit_reached when one more active subscription of `owner` would pass a cap. */
async function assertRoomForSubscription(trx: Transaction<Database>, owner: Owner, caps: SubscriptionCaps): Promise<void> {
  const { clinic, key } = await trx
    .selectFrom('webhooks')
    .select([sql<number>`count(*)::int`.as('clinic'), sql<number>`(count(*) filter (where api_key_id = ${owner.keyId}))::int`.as('key')])
    .where('clinic_id', '=', owner.clinicId)
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  const remedy = 'delete subscriptions that are no longer used (DELETE /api/v1/webhooks/{id}, or in the dashboard) and try again';
  if (key >= caps.webhooksPerKey) {
    throw new ApiError(409, 'limit_reached', `This API key has ${key} active webhook subscriptions, the most one key may have: ${remedy}.`);
  }
  if (clinic >= caps.webhooksPerClinic) {
    throw new ApiError(
      409,
      'limit_reached',
      `This clinic has ${clinic} active webhook subscriptions, the most one clinic may have (all its API keys together): ${remedy}.`,
    );
  }
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
  settings: UrlPolicy & SubscriptionCaps,
): Promise<WebhookCreated> {
  try {
    await assertDeliverableUrl(input.url, settings);
  } catch (error) {
    if (error instanceof UrlPolicyError) throw invalidInput(error.message, [{ path: 'url', message: error.message }]);
    throw error;
  }
  const secret = newSigningSecret();
  const row = await db.transaction().execute(async (trx) => {
    await lockClinicSubscriptions(trx, owner.clinicId);
    await assertRoomForSubscription(trx, owner, settings);
    return trx
      .insertInto('webhooks')
      .values({ clinic_id: owner.clinicId, api_key_id: owner.keyId, url: input.url, events: [...new Set(input.events)], secret })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  return { ...toWebhook(row), signingSecret: secret };
}

/**
 * Inside a transaction that is about to make the disabled subscription `webhookId` active again:
 * takes the clinic's lock and checks the caps (409 limit_reached). Nothing to check when it is
 * active already, or cannot be re-enabled (gone, or its key revoked).
 */
export async function assertRoomToReenable(
  trx: Transaction<Database>,
  clinicId: string,
  webhookId: string,
  caps: SubscriptionCaps,
): Promise<void> {
  await lockClinicSubscriptions(trx, clinicId);
  const row = await trx
    .selectFrom('webhooks as w')
    .innerJoin('api_keys as k', 'k.id', 'w.api_key_id')
    .select(['w.status', 'w.api_key_id', 'k.revoked_at'])
    .where('w.clinic_id', '=', clinicId)
    .where('w.id', '=', webhookId)
    .executeTakeFirst();
  if (row?.status !== 'disabled' || row.revoked_at) return;
  await assertRoomForSubscription(trx, { clinicId, keyId: row.api_key_id }, caps);
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
  const deleted = await deleteSubscriptions(db, { clinicId: owner.clinicId, keyId: owner.keyId, ids: [id] });
  if (deleted === 0) throw notFound('Webhook');
}

/** The dashboard's delete: any subscription of the clinic (its deliveries go with it). */
export async function deleteClinicWebhook(db: Kysely<Database>, clinicId: string, id: string): Promise<void> {
  const deleted = await deleteSubscriptions(db, { clinicId, ids: [id] });
  if (deleted === 0) throw notFound('Webhook');
}

/**
 * The dashboard's re-enable of a disabled subscription: new events get deliveries again. A
 * subscription whose API key was revoked stays disabled (delete it; the integration subscribes
 * again with a live key).
 */
export async function enableClinicWebhook(db: Kysely<Database>, clinicId: string, id: string, caps: SubscriptionCaps): Promise<void> {
  const row = await db
    .selectFrom('webhooks as w')
    .innerJoin('api_keys as k', 'k.id', 'w.api_key_id')
    .select(['w.id', 'k.revoked_at'])
    .where('w.clinic_id', '=', clinicId)
    .where('w.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('Webhook');
  if (row.revoked_at) throw invalidInput("This subscription's API key was revoked: it cannot be re-enabled. Delete it instead.");
  await db.transaction().execute(async (trx) => {
    await assertRoomToReenable(trx, clinicId, id, caps);
    await trx
      .updateTable('webhooks')
      .set({ status: 'active', disabled_reason: null, failing_since: null })
      .where('id', '=', id)
      .where('status', '=', 'disabled')
      .execute();
  });
}

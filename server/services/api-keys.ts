/** API keys: `qbk_live_` + 32 random base62-ish chars, stored only as a SHA-256 hash. */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { SCOPES, type Scope } from '../../contract';
import type { ApiKeyRow, Database } from '../db/schema';

export const KEY_PREFIX = 'qbk_live_';
/** How many characters of the key are kept in clear to recognise it in lists. */
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 4;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(24).toString('base64url');
}

export interface CreatedApiKey {
  key: string;
  row: ApiKeyRow;
}

export async function createApiKey(
  db: Kysely<Database>,
  clinicId: string,
  name: string,
  scopes: readonly Scope[] = SCOPES,
): Promise<CreatedApiKey> {
  const key = generateApiKey();
  const row = await db
    .insertInto('api_keys')
    .values({
      clinic_id: clinicId,
      name,
      prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      key_hash: hashApiKey(key),
      scopes: [...new Set(scopes)],
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, row };
}

/** The live (not revoked) key with this raw value, if any. */
export async function findApiKey(db: Kysely<Database>, key: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', hashApiKey(key)).where('revoked_at', 'is', null).executeTakeFirst();
}

export async function listApiKeys(db: Kysely<Database>, clinicId: string): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('clinic_id', '=', clinicId).orderBy('created_at', 'desc').execute();
}

/** Why a revoked key's subscriptions stopped, shown on the dashboard's webhooks page. */
export const REVOKED_KEY_REASON = 'the API key that created this subscription was revoked';

/**
 * Revokes a key of this clinic and, in the same transaction, ends its webhook subscriptions:
 * they are disabled (so no new event gets a delivery for them) and their pending deliveries are
 * failed (so nothing more is sent). Returns false when there is no such live key.
 */
export async function revokeApiKey(db: Kysely<Database>, clinicId: string, keyId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', keyId)
      .where('clinic_id', '=', clinicId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    const webhooks = trx.selectFrom('webhooks').select('id').where('clinic_id', '=', clinicId).where('api_key_id', '=', keyId);
    await trx
      .updateTable('webhooks')
      .set({ status: 'disabled', disabled_reason: REVOKED_KEY_REASON })
      .where('clinic_id', '=', clinicId)
      .where('api_key_id', '=', keyId)
      .execute();
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', next_attempt_at: null, updated_at: new Date() })
      .where('webhook_id', 'in', webhooks)
      .where('status', '=', 'pending')
      .execute();
    return true;
  });
}

/** API keys: `qbk_live_` + 32 random base62-ish chars, stored only as a SHA-256 hash. */
import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { SCOPES, type Scope } from '../../contract';
import type { ApiKeyRow, Database } from '../db/schema';
import { ApiError } from '../errors';
import { disableSubscriptions } from '../webhooks/removal';

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

/** How many keys a clinic may hold and make: QB_CLINIC_KEY_LIMIT and QB_KEY_CREATION_PER_MINUTE. */
export interface KeyLimits {
  /** Live (unrevoked) keys per clinic. */
  maxLive: number;
  /** New keys per clinic in any 60 seconds. */
  perMinute: number;
}

/**
 * Creates a key as a person asks for one (the dashboard), within the clinic's limits: refused with
 * 409 `limit_reached` at `maxLive` live keys, with 429 `rate_limited` (Retry-After) after
 * `perMinute` new keys within a minute, and with 409 (`ApiKeyNameTaken`) when a live key of the
 * clinic has the same name (the connection label, "clinic (key name)", must tell keys apart). The
 * checks and the insert run under a transaction-scoped advisory lock of the clinic, so concurrent
 * requests, on any instance, cannot pass a limit together; other clinics, and the key statement of
 * API requests, never wait for it.
 */
export async function createApiKeyWithinLimits(
  db: Kysely<Database>,
  clinicId: string,
  name: string,
  scopes: readonly Scope[],
  limits: KeyLimits,
): Promise<CreatedApiKey> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`api_keys:${clinicId}`}, 0))`.execute(trx);
    const keys = await trx
      .selectFrom('api_keys')
      .select([
        sql<number>`count(*) filter (where revoked_at is null)`.as('live'),
        sql<number>`count(*) filter (where created_at > now() - interval '1 minute')`.as('recent'),
        sql<
          number | null
        >`ceil(extract(epoch from min(created_at) filter (where created_at > now() - interval '1 minute') + interval '1 minute' - now()))`.as(
          'retry_after',
        ),
      ])
      .where('clinic_id', '=', clinicId)
      .executeTakeFirstOrThrow();
    if (Number(keys.live) >= limits.maxLive) throw liveKeyLimitReached(limits.maxLive);
    if (Number(keys.recent) >= limits.perMinute) throw keyCreationThrottled(limits.perMinute, Math.max(1, Number(keys.retry_after ?? 60)));
    const twin = await liveKeyNamed(trx, clinicId, name);
    if (twin) throw new ApiKeyNameTaken(twin.name);
    return createApiKey(trx, clinicId, name, scopes);
  });
}

/** A key name as people tell names apart (in SQL, for both sides alike): letter case and runs of spaces do not count. */
const comparableName = (name: RawBuilder<string>) => sql<string>`lower(regexp_replace(btrim(${name}), '[[:space:]]+', ' ', 'g'))`;

/** The live key of this clinic whose name is `name` as a person reads it, if any. */
function liveKeyNamed(db: Kysely<Database>, clinicId: string, name: string): Promise<{ name: string } | undefined> {
  return db
    .selectFrom('api_keys')
    .select('name')
    .where('clinic_id', '=', clinicId)
    .where('revoked_at', 'is', null)
    .where(comparableName(sql.ref<string>('name')), '=', comparableName(sql.val(name)))
    .executeTakeFirst();
}

/**
 * A live key of the clinic already has this name. Key creation is a dashboard action, not an API
 * operation, so this is no API error code: the page shows the message with a 409.
 */
export class ApiKeyNameTaken extends Error {
  readonly status = 409;
  constructor(readonly takenBy: string) {
    super(
      `This clinic already has a live API key named “${takenBy}”. Choose another name (a Zapier connection is labelled with the clinic's name and the key's, so each key needs its own), or revoke the old key first (Setup → API keys).`,
    );
  }
}

export const liveKeyLimitReached = (maxLive: number) =>
  new ApiError(
    409,
    'limit_reached',
    `This clinic already has ${maxLive} live API keys, the most it may have. Revoke a key you no longer use (Setup → API keys), then create the new one.`,
  );

export const keyCreationThrottled = (perMinute: number, retryAfter: number) =>
  new ApiError(
    429,
    'rate_limited',
    `At most ${perMinute} API keys can be created per minute for a clinic. Try again in ${retryAfter} seconds.`,
    undefined,
    { 'Retry-After': String(retryAfter) },
  );

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
    // Deliveries before subscriptions, each in id order, as outcome writes lock them (removal.ts).
    await disableSubscriptions(trx, { clinicId, keyId }, REVOKED_KEY_REASON);
    return true;
  });
}

/**
 * 120 requests per minute per API key, counted in the database so that every server instance on
 * one PostgreSQL shares the same budget. Fixed one-minute windows keyed by the database clock.
 * Headers follow the IETF RateLimit fields draft: RateLimit-Policy and RateLimit.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import type { Database } from '../db/schema';

export const POLICY_NAME = 'default';
export const WINDOW_SECONDS = 60;

export function policyHeader(limit: number): string {
  return `"${POLICY_NAME}";q=${limit};w=${WINDOW_SECONDS}`;
}

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export interface CountedKey {
  id: string;
  clinic_id: string;
  scopes: string[];
  /** The clinic's `calendar_version`, for the in-memory calendar cache. */
  calendar_version: number;
  rate: RateLimitResult;
}

/**
 * One round trip for an authenticated request: finds the live key by its hash, counts the request
 * in the key's current window, and refreshes `last_used_at` (advisory: at most once a minute, and
 * only for a request within the limit). Undefined when the key is unknown or revoked; nothing is
 * counted then. The revocation check reads the database on every request, so a revoked key is
 * refused at once by every instance.
 */
/** Named on PostgreSQL: a prepared statement per connection, planned once (see executePrepared). */
const COUNT_KEY_REQUEST = {
  name: 'qb_count_key_request',
  text: `
    with key as (
      select k.id, k.clinic_id, k.scopes, c.calendar_version
      from api_keys k join clinics c on c.id = k.clinic_id
      where k.key_hash = $1 and k.revoked_at is null
    ), hit as (
      insert into rate_limits (key_id, window_start, count)
      select id::text, date_trunc('minute', now()), 1 from key
      on conflict (key_id, window_start) do update set count = rate_limits.count + 1
      returning count, greatest(1, ceil(extract(epoch from (window_start + interval '1 minute' - clock_timestamp()))))::int as reset_seconds
    ), touched as (
      update api_keys set last_used_at = now()
      where id = (select id from key) and (select count from hit) <= $2::int
        and (last_used_at is null or last_used_at < now() - interval '1 minute')
    )
    select key.id, key.clinic_id, key.scopes, key.calendar_version, hit.count, hit.reset_seconds from key cross join hit`,
};

/**
 * One round trip for an authenticated request: finds the live key by its hash, counts the request
 * in the key's current window, and refreshes `last_used_at` (advisory: at most once a minute, and
 * only for a request within the limit). Undefined when the key is unknown or revoked; nothing is
 * counted then. The revocation check reads the database on every request, so a revoked key is
 * refused at once by every instance.
 */
export async function countKeyRequest(
  database: Pick<DatabaseHandle, 'executePrepared'>,
  keyHash: string,
  limit: number,
): Promise<CountedKey | undefined> {
  const { rows } = await database.executePrepared(COUNT_KEY_REQUEST.name, COUNT_KEY_REQUEST.text, [keyHash, limit]);
  const row = rows[0] as
    | { id: string; clinic_id: string; scopes: string[]; calendar_version: number | string; count: number; reset_seconds: number }
    | undefined;
  if (!row) return undefined;
  const count = Number(row.count);
  return {
    id: row.id,
    clinic_id: row.clinic_id,
    scopes: row.scopes,
    calendar_version: Number(row.calendar_version),
    rate: {
      allowed: count <= limit,
      remaining: Math.max(0, limit - count),
      resetSeconds: Math.min(WINDOW_SECONDS, Number(row.reset_seconds)),
    },
  };
}

export function rateLimitHeader(result: RateLimitResult): string {
  return `"${POLICY_NAME}";r=${result.remaining};t=${result.resetSeconds}`;
}

/** Drops windows that ended; cheap, and run now and then rather than on every request. */
export async function pruneRateLimits(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('rate_limits').where('window_start', '<', sql<Date>`now() - interval '2 minutes'`).execute();
}

/**
 * 120 requests per minute per API key, counted in the database so that every server instance on
 * one PostgreSQL shares the same budget. Fixed one-minute windows keyed by the database clock.
 * Headers follow the IETF RateLimit fields draft: RateLimit-Policy and RateLimit.
 */
import { sql, type Kysely } from 'kysely';
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

export async function consumeRateLimit(db: Kysely<Database>, keyId: string, limit: number): Promise<RateLimitResult> {
  const row = await db
    .insertInto('rate_limits')
    .values({ key_id: keyId, window_start: sql<Date>`date_trunc('minute', now())`, count: 1 })
    .onConflict((oc) => oc.columns(['key_id', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
    .returning([
      'count',
      sql<number>`greatest(1, ceil(extract(epoch from (window_start + interval '1 minute' - clock_timestamp()))))::int`.as(
        'reset_seconds',
      ),
    ])
    .executeTakeFirstOrThrow();
  const count = Number(row.count);
  return {
    allowed: count <= limit,
    remaining: Math.max(0, limit - count),
    resetSeconds: Math.min(WINDOW_SECONDS, Number(row.reset_seconds)),
  };
}

export function rateLimitHeader(result: RateLimitResult): string {
  return `"${POLICY_NAME}";r=${result.remaining};t=${result.resetSeconds}`;
}

/** Drops windows that ended; cheap, and run now and then rather than on every request. */
export async function pruneRateLimits(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('rate_limits').where('window_start', '<', sql<Date>`now() - interval '2 minutes'`).execute();
}

/**
 * 120 requests per minute per API key, and a budget per clinic over all its keys together
 * (`QB_CLINIC_RATE_LIMIT`, 600 by default), both counted in the database so that every server
 * instance on one PostgreSQL shares them. Fixed one-minute windows keyed by the database clock.
 * Headers follow the IETF RateLimit fields draft: RateLimit-Policy and RateLimit for the key
 * ("default"), and the same two fields for the clinic under `X-QualifyBase-Clinic-` names.
 */
import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import type { Database } from '../db/schema';
import { groupConcurrent } from '../services/concurrent-groups';

export const POLICY_NAME = 'default';
export const CLINIC_POLICY_NAME = 'clinic';
export const WINDOW_SECONDS = 60;

export function policyHeader(limit: number, name = POLICY_NAME): string {
  return `"${name}";q=${limit};w=${WINDOW_SECONDS}`;
}

/** The two budgets a request is counted against, per window. */
export interface RateLimits {
  perKey: number;
  perClinic: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Which budget refused the request; undefined when it is allowed. */
  refusedBy?: 'api_key' | 'clinic';
  /** Requests this key may still make in the window: its own budget or its clinic's, whichever is tighter. */
  remaining: number;
  /** Requests the clinic's keys may still make together in the window. */
  clinicRemaining: number;
  /** Seconds until the window resets (both windows reset together). */
  resetSeconds: number;
}

export interface CountedKey {
  id: string;
  clinic_id: string;
  scopes: readonly string[];
  /** The clinic's `calendar_version`, for the in-memory calendar cache. */
  calendar_version: number;
  /** The clinic's `data_version`, for the in-memory page cache. */
  data_version: number;
  rate: RateLimitResult;
}

/** The `rate_limits` row of a clinic's window: `key_id` is a key's id, or this prefix and the clinic's id. */
export const CLINIC_COUNTER_PREFIX = 'clinic:';

/**
 * The key statement, for a batch of requests: finds each live key by its hash, counts the batch's
 * requests in each key's current window and, of those within their key's limit, in each clinic's
 * window, and refreshes `last_used_at` (advisory: at most once a minute, and only when the
 * batch's first request of that key is within the limit). A hash with no live key (unknown or
 * revoked) has no row, and nothing is counted for it. `position` is the request's own place in
 * the key's window: the count after the batch minus the key's requests in it, plus its rank among
 * them, so each request learns exactly what it would have learnt alone; `clinic_position`
 * likewise in the clinic's window, for a request its key allowed (a key over its own limit does
 * not use up its clinic's budget). Row locks are taken in a fixed order (every key row in id
 * order, then every clinic row in id order: the clinic insert sorts its input, which needs all of
 * the key insert's rows first), so two batches (two instances) cannot deadlock on `rate_limits`.
 * The keys are read by their hashes through the key_hash index (`key_hash = any ($1)`, said twice:
 * with the join's condition alone the generic plan read the whole of api_keys into a hash join once
 * there were a few hundred keys; a lateral read per hash cost PGlite, which plans each statement,
 * more than it saved: issue 20, round 12), and `last_used_at` is refreshed by a read of `api_keys`
 * that runs only in a batch with a key to refresh (`stale`, from that same read), not in every batch.
 */
export const COUNT_KEY_REQUESTS = {
  name: 'qb_count_key_requests',
  text: `
    with req as (
      select r.key_hash, r.ord from unnest($1::text[]) with ordinality as r(key_hash, ord)
    ), key as (
      select req.ord, k.id, k.clinic_id, array_to_string(k.scopes, ' ') as scopes, c.calendar_version, c.data_version,
        k.last_used_at is null or k.last_used_at < now() - interval '1 minute' as stale
      from req join api_keys k on k.key_hash = req.key_hash and k.revoked_at is null and k.key_hash = any ($1::text[])
      join clinics c on c.id = k.clinic_id
    ), per_key as (
      select id, count(*)::int as n, bool_or(stale) as stale from key group by id
    ), hit as (
      insert into rate_limits (key_id, window_start, count)
      select id::text, date_trunc('minute', now()), n from per_key order by id
      on conflict (key_id, window_start) do update set count = rate_limits.count + excluded.count
      returning key_id, count, greatest(1, ceil(extract(epoch from (window_start + interval '1 minute' - clock_timestamp()))))::int as reset_seconds
    ), placed as (
      select key.ord, key.id, key.clinic_id, key.scopes, key.calendar_version, key.data_version, hit.reset_seconds,
        hit.count - per_key.n + row_number() over (partition by key.id order by key.ord) as position
      from key join per_key on per_key.id = key.id join hit on hit.key_id = key.id::text
    ), per_clinic as (
      select clinic_id, (count(*) filter (where position <= $2::int))::int as n from placed group by clinic_id
    ), clinic_hit as (
      insert into rate_limits (key_id, window_start, count)
      select '${CLINIC_COUNTER_PREFIX}' || clinic_id::text, date_trunc('minute', now()), n from per_clinic order by clinic_id
      on conflict (key_id, window_start) do update set count = rate_limits.count + excluded.count
      returning key_id, count
    ), touched as (
      update api_keys k set last_used_at = now()
      from per_key p join hit h on h.key_id = p.id::text
      where k.id = p.id and h.count - p.n + 1 <= $2::int and p.stale
        and (k.last_used_at is null or k.last_used_at < now() - interval '1 minute')
        and exists (select from per_key where stale)
    )
    select placed.*, clinic_hit.count as clinic_count,
      clinic_hit.count - count(*) over clinic_batch + row_number() over (clinic_batch order by placed.ord) as clinic_position
    from placed join clinic_hit on clinic_hit.key_id = '${CLINIC_COUNTER_PREFIX}' || placed.clinic_id::text
    window clinic_batch as (partition by placed.clinic_id, placed.position <= $2::int)`,
};

interface CountedRow {
  ord: number | string;
  id: string;
  clinic_id: string;
  /** The key's scopes, space-separated (no array for the driver to parse on every request). */
  scopes: string;
  calendar_version: number | string;
  data_version: number | string;
  reset_seconds: number;
  position: number | string;
  clinic_position: number | string;
  clinic_count: number | string;
}

/** Most requests one statement counts; more wait for the next. */
const MAX_BATCH = 256;
/** A batch that deadlocks with another instance's (PostgreSQL aborts one) is sent again, this many times. */
const DEADLOCK_RETRIES = 3;

export type KeyCounter = (keyHash: string) => Promise<CountedKey | undefined>;

/**
 * Counts authenticated requests, one statement for all the requests that arrive together
 * (services/concurrent-groups.ts): a request waits at most for the statements already in flight,
 * then goes out with every request that came meanwhile. Alone, a request is one statement, as
 * before; under load, one statement serves many, so the database does one lookup, one upsert and
 * one commit per batch instead of per request. A failed statement fails every request of its
 * batch with its error (no request's own value can fail it: it is the database that failed, and
 * each request answers 503 at once rather than trying again alone). Nothing is cached: the key,
 * its revocation and the shared count are read from the database for every request, so the limit
 * stays exact across instances and a revoked key is refused at once everywhere. Undefined for an
 * unknown or revoked key.
 */
export function createKeyCounter(database: Pick<DatabaseHandle, 'executePrepared'>, limits: RateLimits, maxInFlight = 2): KeyCounter {
  async function countBatch(hashes: string[]): Promise<(CountedKey | undefined)[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await database.executePrepared(COUNT_KEY_REQUESTS.name, COUNT_KEY_REQUESTS.text, [hashes, limits.perKey]);
        const counted: (CountedKey | undefined)[] = hashes.map(() => undefined);
        for (const row of rows as CountedRow[]) counted[Number(row.ord) - 1] = toCountedKey(row, limits);
        return counted;
      } catch (error) {
        if (attempt >= DEADLOCK_RETRIES || (error as { code?: string }).code !== '40P01') throw error;
      }
    }
  }
  return groupConcurrent<string, CountedKey | undefined>({
    shapeOf: () => COUNT_KEY_REQUESTS.name,
    alone: async (keyHash) => (await countBatch([keyHash]))[0],
    together: countBatch,
    maxInFlight,
    maxGroup: MAX_BATCH,
    retryAlone: 'never',
  });
}

/** Distinct scope lists kept parsed at most (a key's scopes are a subset of the contract's few). */
const MAX_SCOPE_LISTS = 256;
const parsedScopes = new Map<string, readonly string[]>();

/** A key's scopes from their space-separated text, split once per distinct text. */
function scopesOf(text: string): readonly string[] {
  let scopes = parsedScopes.get(text);
  if (scopes === undefined) {
    scopes = Object.freeze(text === '' ? [] : text.split(' '));
    if (parsedScopes.size < MAX_SCOPE_LISTS) parsedScopes.set(text, scopes);
  }
  return scopes;
}

function toCountedKey(row: CountedRow, limits: RateLimits): CountedKey {
  return {
    id: row.id,
    clinic_id: row.clinic_id,
    scopes: scopesOf(row.scopes),
    calendar_version: Number(row.calendar_version),
    data_version: Number(row.data_version),
    rate: rateOf(row, limits),
  };
}

/** Where a request stands against its key's budget and, when its key allowed it, its clinic's. */
function rateOf(row: CountedRow, limits: RateLimits): RateLimitResult {
  const position = Number(row.position);
  const resetSeconds = Math.min(WINDOW_SECONDS, Number(row.reset_seconds));
  const keyRemaining = Math.max(0, limits.perKey - position);
  if (position > limits.perKey) {
    const clinicRemaining = Math.max(0, limits.perClinic - Number(row.clinic_count));
    return { allowed: false, refusedBy: 'api_key', remaining: 0, clinicRemaining, resetSeconds };
  }
  const clinicPosition = Number(row.clinic_position);
  const clinicRemaining = Math.max(0, limits.perClinic - clinicPosition);
  const remaining = Math.min(keyRemaining, clinicRemaining);
  if (clinicPosition > limits.perClinic) return { allowed: false, refusedBy: 'clinic', remaining, clinicRemaining, resetSeconds };
  return { allowed: true, remaining, clinicRemaining, resetSeconds };
}

/** `RateLimit`: what this key may still send in the window (the tighter of its own and its clinic's budget). */
export function rateLimitHeader(result: RateLimitResult): string {
  return `"${POLICY_NAME}";r=${result.remaining};t=${result.resetSeconds}`;
}

/** `X-QualifyBase-Clinic-RateLimit`: what all the clinic's keys may still send together in the window. */
export function clinicRateLimitHeader(result: RateLimitResult): string {
  return `"${CLINIC_POLICY_NAME}";r=${result.clinicRemaining};t=${result.resetSeconds}`;
}

/** Drops windows that ended; cheap, and run now and then rather than on every request. */
export async function pruneRateLimits(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('rate_limits').where('window_start', '<', sql<Date>`now() - interval '2 minutes'`).execute();
}

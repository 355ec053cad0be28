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
  /** The clinic's `data_version`, for the in-memory page cache. */
  data_version: number;
  rate: RateLimitResult;
}

/**
 * The key statement, for a batch of requests: finds each live key by its hash, counts the batch's
 * requests in each key's current window, and refreshes `last_used_at` (advisory: at most once a
 * minute, and only when the batch's first request of that key is within the limit). A hash with
 * no live key (unknown or revoked) has no row, and nothing is counted for it. `position` is the
 * request's own place in the key's window: the count after the batch minus the key's requests
 * in it, plus its rank among them, so each request learns exactly what it would have learnt alone.
 * Row locks are taken in key order (the insert reads `per_key` ordered), so two batches (two
 * instances) touching the same keys cannot deadlock on `rate_limits`.
 */
const COUNT_KEY_REQUESTS = {
  name: 'qb_count_key_requests',
  text: `
    with req as (
      select r.key_hash, r.ord from unnest($1::text[]) with ordinality as r(key_hash, ord)
    ), key as (
      select req.ord, k.id, k.clinic_id, k.scopes, c.calendar_version, c.data_version
      from req join api_keys k on k.key_hash = req.key_hash and k.revoked_at is null
      join clinics c on c.id = k.clinic_id
    ), per_key as (
      select id, count(*)::int as n from key group by id
    ), hit as (
      insert into rate_limits (key_id, window_start, count)
      select id::text, date_trunc('minute', now()), n from per_key order by id
      on conflict (key_id, window_start) do update set count = rate_limits.count + excluded.count
      returning key_id, count, greatest(1, ceil(extract(epoch from (window_start + interval '1 minute' - clock_timestamp()))))::int as reset_seconds
    ), touched as (
      update api_keys k set last_used_at = now()
      from per_key p join hit h on h.key_id = p.id::text
      where k.id = p.id and h.count - p.n + 1 <= $2::int
        and (k.last_used_at is null or k.last_used_at < now() - interval '1 minute')
    )
    select key.ord, key.id, key.clinic_id, key.scopes, key.calendar_version, key.data_version, hit.reset_seconds,
      hit.count - per_key.n + row_number() over (partition by key.id order by key.ord) as position
    from key join per_key on per_key.id = key.id join hit on hit.key_id = key.id::text`,
};

interface CountedRow {
  ord: number | string;
  id: string;
  clinic_id: string;
  scopes: string[];
  calendar_version: number | string;
  data_version: number | string;
  reset_seconds: number;
  position: number | string;
}

/** Most requests one statement counts; more wait for the next. */
const MAX_BATCH = 256;
/** A batch that deadlocks with another instance's (PostgreSQL aborts one) is sent again, this many times. */
const DEADLOCK_RETRIES = 3;

interface Waiting {
  keyHash: string;
  resolve: (key: CountedKey | undefined) => void;
  reject: (error: unknown) => void;
}

export type KeyCounter = (keyHash: string) => Promise<CountedKey | undefined>;

/**
 * Counts authenticated requests, one statement for all the requests that arrive together (group
 * commit): a request waits at most for the statement already in flight, then goes out with every
 * request that came meanwhile. Alone, a request is one statement, as before; under load, one
 * statement serves many, so the database does one lookup, one upsert and one commit per batch
 * instead of per request. Nothing is cached: the key, its revocation and the shared count are read
 * from the database for every request, so the limit stays exact across instances and a revoked
 * key is refused at once everywhere. Undefined for an unknown or revoked key.
 */
export function createKeyCounter(database: Pick<DatabaseHandle, 'executePrepared'>, limit: number, maxInFlight = 2): KeyCounter {
  let waiting: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = waiting.slice(0, MAX_BATCH);
      waiting = waiting.slice(batch.length);
      inFlight++;
      void send(batch).finally(() => {
        inFlight--;
        if (waiting.length > 0) flush();
      });
    }
  };

  async function send(batch: Waiting[]): Promise<void> {
    try {
      const rows = await countBatch(batch.map((w) => w.keyHash));
      const byOrd = new Map<number, CountedRow>(rows.map((row) => [Number(row.ord), row]));
      batch.forEach((w, i) => {
        const row = byOrd.get(i + 1);
        w.resolve(row ? toCountedKey(row, limit) : undefined);
      });
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }

  async function countBatch(hashes: string[]): Promise<CountedRow[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { rows } = await database.executePrepared(COUNT_KEY_REQUESTS.name, COUNT_KEY_REQUESTS.text, [hashes, limit]);
        return rows as CountedRow[];
      } catch (error) {
        if (attempt >= DEADLOCK_RETRIES || (error as { code?: string }).code !== '40P01') throw error;
      }
    }
  }

  return (keyHash) =>
    new Promise<CountedKey | undefined>((resolve, reject) => {
      waiting.push({ keyHash, resolve, reject });
      // Requests parsed in the same turn of the event loop go out together.
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

function toCountedKey(row: CountedRow, limit: number): CountedKey {
  const position = Number(row.position);
  return {
    id: row.id,
    clinic_id: row.clinic_id,
    scopes: row.scopes,
    calendar_version: Number(row.calendar_version),
    data_version: Number(row.data_version),
    rate: {
      allowed: position <= limit,
      remaining: Math.max(0, limit - position),
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

/**
 * The `Idempotency-Key` request header (IETF httpapi draft), on the writes that are not idempotent
 * by their own fields (apiRoute's `idempotent`). The first request with a key runs in one
 * transaction together with the row that keeps its response, so the write and its record commit
 * or vanish together: a key whose first request failed with a 5xx (or never finished) runs again,
 * and one whose request committed is never run twice. Then, for 24 hours and per API key:
 * - the same key with the same request (method, path with query, and the JSON body read as a
 *   value: key order and whitespace do not matter) answers the first response again (status,
 *   Content-Type, body) with `Idempotent-Replayed: true`;
 * - the same key with another request is 422 idempotency_key_reused;
 * - while the first is still running, 409 idempotency_key_in_use with `Retry-After: 1`.
 * Kept: 2xx answers, and the 400s that follow from the request alone (its schema refused it, or
 * its JSON is malformed), which no change elsewhere can turn into a success. Never kept: an answer
 * that depends on what is stored (404 not found, 409 slot_unavailable, a 400 such as "the campaign
 * is paused"), so once the Zap owner fixes that, the same key runs the request again; and never a
 * 5xx or a 429 (Stripe's rule: nothing is saved when the request failed validation against current
 * state or conflicted). Several instances agree through the database: an advisory lock on the key
 * for the transaction, and the table's primary key. A request without the header costs nothing.
 */
import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { CompiledQuery, sql, type ControlledTransaction, type Kysely } from 'kysely';
import { canonicalJson } from '../../contract/canonical-json';
import type { AppEnv, RequestDatabase } from '../context';
import type { Database } from '../db/schema';
import { ApiError, invalidInput } from '../errors';
import { giveAnswerHeadersToHono } from './answer-headers';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
export const MAX_KEY_LENGTH = 255;
/** How long a key's response is kept and replayed. */
export const KEEP_HOURS = 24;

/** A structured-field string ("abc", with \" and \\ escapes) or a bare token. */
const QUOTED = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;
const BARE = /^[A-Za-z0-9!#$%&'*+\-.^_`|~:/=]+$/;

/**
 * The key an Idempotency-Key header names, or a 400 that says what a key must be. The 255-character
 * limit applies to the header as sent (quotes and escapes included), as OpenAPI's maxLength says.
 */
export function parseIdempotencyKey(header: string): string {
  const value = header.trim();
  const quoted = QUOTED.exec(value);
  const key = quoted ? (quoted[1] ?? '').replace(/\\(["\\])/g, '$1') : BARE.test(value) ? value : undefined;
  if (!key || value.length > MAX_KEY_LENGTH) {
    throw invalidInput(
      `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters as sent (quotes included), as a quoted string ("…") or a bare token, e.g. a UUID`,
      [{ path: IDEMPOTENCY_KEY_HEADER, message: 'malformed' }],
    );
  }
  return key;
}

/** The body as one text per JSON value (keys sorted, no whitespace); a body that is not JSON as it came. */
function canonicalBody(body: string): string {
  try {
    return canonicalJson(JSON.parse(body));
  } catch {
    return body;
  }
}

/** The request a key stands for: method, path with query, and body (as a JSON value). */
function fingerprint(c: Context<AppEnv>, body: string): string {
  const url = new URL(c.req.url);
  return createHash('sha256').update(`${c.req.method} ${url.pathname}${url.search}\n`).update(canonicalBody(body)).digest('hex');
}

/** A handler's database inside the key's transaction (a booking's one statement included). */
function transactionDatabase(trx: ControlledTransaction<Database>): RequestDatabase {
  return {
    db: trx,
    executePrepared: async (_name, text, values) => {
      const result = await trx.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows };
    },
  };
}

const inUse = () =>
  new ApiError(
    409,
    'idempotency_key_in_use',
    'A request with this Idempotency-Key is still being processed: retry in a moment to get its response',
    undefined,
    { 'Retry-After': '1' },
  );

const reused = () =>
  new ApiError(
    422,
    'idempotency_key_reused',
    `This Idempotency-Key was used in the last ${KEEP_HOURS} hours for a different request (another endpoint or body): send a new key with a new request`,
  );

/** Whether an answer is kept under its key: a 2xx, or a 400 that follows from the request alone (see the file comment). */
const kept = (c: Context<AppEnv>) => {
  const { status } = c.res;
  return (status >= 200 && status < 300) || (status === 400 && c.var.refusedForInput === true);
};

/** Route middleware (after the scope check, before validation): see the file comment. */
export const honourIdempotencyKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header(IDEMPOTENCY_KEY_HEADER);
  if (header === undefined) return next();
  // A replay answers with c.body, and a kept answer is read back as a fetch Response: both want the
  // headers in Hono's Headers (answer-headers.ts), which keeps the kept answer's header bytes too.
  giveAnswerHeadersToHono(c);
  const key = parseIdempotencyKey(header);
  const request = fingerprint(c, await c.req.text());
  const apiKeyId = c.var.auth.keyId;
  const trx = await c.var.database.db.startTransaction().execute();
  try {
    const { rows } = await sql<{ ok: boolean }>`
      select pg_try_advisory_xact_lock(hashtextextended(${apiKeyId} || ' ' || ${key}, 18)) as ok`.execute(trx);
    if (!rows[0]?.ok) throw inUse();
    const stored = await storedResponse(trx, apiKeyId, key);
    if (stored) {
      await trx.rollback().execute();
      if (stored.fingerprint !== request) throw reused();
      c.set('queuedDeliveries', 0);
      return c.body(stored.body, stored.status as 200, {
        ...(stored.content_type ? { 'Content-Type': stored.content_type } : {}),
        [REPLAYED_HEADER]: 'true',
      });
    }
    await sql`savepoint request`.execute(trx);
    c.set('database', transactionDatabase(trx));
    await next();
    const { status } = c.res;
    if (!kept(c)) return void (await trx.rollback().execute());
    // A refusal keeps its answer but none of what the handler may have written before it.
    if (status >= 400) await sql`rollback to savepoint request`.execute(trx);
    const body = await c.res.clone().text();
    if (!(await storeResponse(trx, apiKeyId, key, request, status, c.res.headers.get('content-type'), body))) throw inUse();
    await trx.commit().execute();
  } catch (error) {
    if (!trx.isCommitted && !trx.isRolledBack)
      await trx
        .rollback()
        .execute()
        .catch(() => undefined);
    throw error;
  }
};

async function storedResponse(db: Kysely<Database>, apiKeyId: string, key: string) {
  return db
    .selectFrom('idempotency_keys')
    .select(['fingerprint', 'status', 'content_type', 'body'])
    .where('api_key_id', '=', apiKeyId)
    .where('key', '=', key)
    .where('created_at', '>', sql<Date>`now() - make_interval(hours => ${KEEP_HOURS})`)
    .executeTakeFirst();
}

/** Keeps the response (replacing an expired one of the same key); false if a live one is there. */
async function storeResponse(
  db: Kysely<Database>,
  apiKeyId: string,
  key: string,
  request: string,
  status: number,
  contentType: string | null,
  body: string,
): Promise<boolean> {
  const row = { fingerprint: request, status, content_type: contentType, body };
  const stored = await db
    .insertInto('idempotency_keys')
    .values({ api_key_id: apiKeyId, key, ...row })
    .onConflict((oc) =>
      oc
        .columns(['api_key_id', 'key'])
        .doUpdateSet({ ...row, created_at: sql`now()` })
        .where('idempotency_keys.created_at', '<=', sql<Date>`now() - make_interval(hours => ${KEEP_HOURS})`),
    )
    .returning('key')
    .executeTakeFirst();
  return stored !== undefined;
}

/** Kept responses deleted per call of the retention sweep's task (it calls again while it finds some). */
const PRUNE_BATCH = 1_000;

/**
 * Deletes one batch of kept responses older than KEEP_HOURS; resolves with how many. A prune task
 * of the retention sweep (server.ts): rows are picked with SKIP LOCKED, so instances sweeping at
 * once split the work.
 */
export async function pruneIdempotencyKeys(db: Kysely<Database>): Promise<number> {
  const result = await sql`
    delete from idempotency_keys where (api_key_id, key) in (
      select api_key_id, key from idempotency_keys
      where created_at <= now() - make_interval(hours => ${KEEP_HOURS})
      order by created_at limit ${PRUNE_BATCH}
      for update skip locked
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Opens the database: embedded PostgreSQL (PGlite) by default, a PostgreSQL server when a URL is
 * given. Both speak the same SQL, so the rest of the server never asks which one it has.
 */
import fs from 'node:fs';
import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import type { PGlite } from '@electric-sql/pglite';
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { Database } from './schema';
import { migrations } from './migrations';
import { PgliteStatements, PgliteStatementsDialect } from './pglite-statements';

export interface SqlResult {
  /** Rows as the driver returns them; callers state their shape. */
  rows: unknown[];
  rowCount?: number | null;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'pglite' | 'postgres';
  /**
   * Raw parameterised SQL on the same connection(s), for libraries such as pg-boss. Like pg, a
   * multi-statement script without parameters answers an array of results.
   */
  executeSql(text: string, values?: unknown[]): Promise<SqlResult>;
  /**
   * A hot statement by name: a named prepared statement (parsed and planned once per connection,
   * then only bound and run), on PostgreSQL and on PGlite.
   */
  executePrepared(name: string, text: string, values: unknown[]): Promise<SqlResult>;
  /** For PostgreSQL only: the pool, so a library can hold a connection of its own. */
  pool?: Pool;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** PostgreSQL connection string. */
  databaseUrl?: string;
  /** PGlite data directory, or 'memory'. */
  dataDir?: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
}

export async function connectDatabase(options: ConnectOptions): Promise<DatabaseHandle> {
  const maxConnections = options.maxConnections ?? 10;
  const handle = options.databaseUrl
    ? await connectPostgres(options.databaseUrl, maxConnections)
    : await connectPglite(options.dataDir ?? 'memory');
  try {
    await migrateToLatest(handle.db);
  } catch (error) {
    await handle.close();
    throw error;
  }
  if (handle.pool) await openEveryConnection(handle.pool, maxConnections);
  return handle;
}

/**
 * Opens the pool's connections at start, while nothing waits for them: the pool keeps them (no
 * idle timeout), and otherwise the first burst after start (the first fan-out of webhooks, ten
 * writes at once) waited for each new one (a backend process and a SCRAM authentication, tens of
 * milliseconds on a busy machine; issue 20: the fan-out's first run). Best effort: a connection
 * the database refuses now (too many connections) is opened later, when a query needs it.
 */
async function openEveryConnection(pool: Pool, count: number): Promise<void> {
  const opened = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
  for (const result of opened) if (result.status === 'fulfilled') result.value.release();
}

/** How long a query waits for a pooled connection before it fails (errors.ts: temporaryFailure). */
export const POOL_WAIT_MS = 5_000;

async function connectPostgres(url: string, max: number): Promise<DatabaseHandle> {
  const pg = await import('pg');
  const Pool = pg.default?.Pool ?? pg.Pool;
  // timestamptz and friends come back as Date; int8 (count(*)) as number.
  (pg.default?.types ?? pg.types).setTypeParser(20, (v: string) => Number(v));
  // A request waits at most POOL_WAIT_MS for a connection (pool exhausted, or the server
  // unreachable) and then fails as a temporary failure: 503 with Retry-After, never a hang.
  // Connections stay open once made (no idle timeout; at most `max`): a new one costs a backend
  // process and a SCRAM authentication, about 45 ms on a busy 2-core machine. With pg's default
  // (closed after 10 s idle), the pool shrank to the two or three connections a quiet spell uses,
  // and the next burst opened the rest while its requests waited: ten writes of a webhook fan-out
  // took 0.4 s instead of 0.1 s.
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: POOL_WAIT_MS, idleTimeoutMillis: 0 });
  pool.on('error', () => undefined); // an idle client's error must not crash the process
  // Nor a checked-out one's: a connection lost between the statements of a transaction (the
  // database stopped or restarted) emits 'error' on its client; its next query then fails, and
  // the request answers 503 (errors.ts: temporaryFailure), and the pool drops the client.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  return {
    db,
    kind: 'postgres',
    pool,
    executeSql: async (text, values) => pool.query(text, values),
    executePrepared: async (name, text, values) => pool.query({ name, text, values }),
    close: () => db.destroy(),
  };
}

/** Distinct statement texts named at most: past this, new texts run unnamed (as before). */
const MAX_NAMED_STATEMENTS = 1000;
const statementNames = new Map<string, string>();

/** The name of a parameterised statement, the same for the same text in the whole process. */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `qb_k${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

type PgClient = PoolClient;

/**
 * client.query through its callback, resolved here, instead of the promise pg makes: a result read
 * through pg's promise survived V8's young-generation collections (issue 20, round 12: measured on
 * the list, every page's text was copied to the old generation, about 12 KB per request, which
 * only a full collection freed; through the callback, as pool.query reads it, none was). pg's
 * promise also rewrote an error's stack to the caller's; Kysely extends the stack itself.
 */
function callbackQuery(client: PgClient, config: { name?: string; text: string; values?: unknown[] }): Promise<QueryResult> {
  return new Promise((resolve, reject) => {
    client.query(config, (error: Error | undefined, result: QueryResult) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * The pool as Kysely sees it: every parameterised statement Kysely sends runs as a named prepared
 * statement, so PostgreSQL parses and analyses each distinct text once per connection, then only
 * binds and runs it (pg skips the Parse message for a name the connection already prepared).
 * Kysely's texts are few (parameters carry the values); a statement without parameters (BEGIN,
 * COMMIT, a migration's DDL) runs as before, and so does everything past the first
 * MAX_NAMED_STATEMENTS texts. One wrapper per pg client, because Kysely keeps per-client state.
 */
function preparingPool(pool: Pool) {
  const wrappers = new WeakMap<PgClient, PgClient>();
  const wrap = (client: PgClient): PgClient => {
    let wrapper = wrappers.get(client);
    if (!wrapper) {
      wrapper = Object.create(client) as PgClient;
      const query = (text: unknown, values?: unknown[]) => {
        // A submittable (pg-cursor: Kysely's streamQuery) goes to pg as it came.
        if (typeof text !== 'string') return client.query(text as never, values);
        const name = values && values.length > 0 ? statementName(text) : undefined;
        return callbackQuery(client, name ? { name, text, values } : { text, values });
      };
      Object.defineProperty(wrapper, 'query', { value: query });
      Object.defineProperty(wrapper, 'release', { value: (error?: Error | boolean) => client.release(error) });
      wrappers.set(client, wrapper);
    }
    return wrapper;
  };
  return {
    connect: async () => wrap(await pool.connect()),
    end: () => pool.end(),
  };
}

/**
 * timestamptz text as PostgreSQL writes it ('0001-01-01 00:00:00+00', '...+05:30', '... BC') to a
 * Date. PGlite's default hands the text to `new Date()`, which reads years 1-99 as 19xx/20xx.
 */
export function parseTimestamptz(value: string): Date {
  const m = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/.exec(value);
  if (!m) return new Date(value); // 'infinity' and the like
  const year = m[12] ? 1 - Number(m[1]) : Number(m[1]);
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const d = new Date(Date.UTC(2000, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms));
  d.setUTCFullYear(year);
  const offsetSeconds = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  return new Date(d.getTime() - offsetSeconds * 1000);
}

/**
 * The embedded database holds API-key hashes, signing secrets and personal data: only the owner
 * may read it. The directory is made (or tightened to) 0700, files already in it to 0600, and
 * the process umask to 077 so that every file the database creates later is 0600 too. Returns the
 * umask it replaced: closing the database puts it back (a process that goes on to do other work,
 * such as the bench starting PostgreSQL next, gets its own umask again).
 */
export function restrictDataDir(dataDir: string): number {
  const previousUmask = process.umask(0o077);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pending = [dataDir];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    fs.chmodSync(dir, 0o700);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = `${dir}/${entry.name}`;
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) fs.chmodSync(full, 0o600);
    }
  }
  return previousUmask;
}

async function connectPglite(dataDir: string): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { btree_gist } = await import('@electric-sql/pglite/contrib/btree_gist');
  const previousUmask = dataDir === 'memory' ? undefined : restrictDataDir(dataDir);
  const pglite = (await PGlite.create({
    ...(dataDir === 'memory' ? {} : { dataDir }),
    extensions: { btree_gist },
    parsers: { 20: (v: string) => Number(v), 1184: parseTimestamptz },
  })) as unknown as PGlite;
  // Every parameterised statement Kysely sends runs as a named prepared statement, as on
  // PostgreSQL (db/pglite-statements.ts).
  const statements = new PgliteStatements(pglite);
  const db = new Kysely<Database>({ dialect: new PgliteStatementsDialect(pglite, statements) });
  let closed = false;
  // Through Kysely's connection queue, so raw SQL never lands inside another caller's transaction.
  const executeSql: DatabaseHandle['executeSql'] = (text, values) =>
    db.connection().execute(async () => {
      if (values && values.length > 0) {
        const r = await pglite.query(text, values);
        return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
      }
      // No parameters: may be a multi-statement script; like pg, one result per statement.
      const results = (await pglite.exec(text)).map((r) => ({ rows: r.rows, rowCount: r.affectedRows ?? 0 }));
      const [only] = results;
      return results.length === 1 && only ? only : (results as unknown as SqlResult);
    });
  const executePrepared: DatabaseHandle['executePrepared'] = (name, text, values) =>
    db.connection().execute(async () => {
      const { rows, affectedRows } = await statements.query(text, values, name);
      return { rows, rowCount: affectedRows };
    });
  return {
    db,
    kind: 'pglite',
    executeSql,
    executePrepared,
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy(); // the dialect's destroy closes the PGlite instance
      if (!pglite.closed) await pglite.close();
      if (previousUmask !== undefined) process.umask(previousUmask);
    },
  };
}

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

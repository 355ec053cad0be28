/**
 * PGlite's statements as named prepared statements, one call into PostgreSQL per query (issue 20).
 *
 * `PGlite.query` parses, analyses and plans every statement it is sent (it has no named
 * statements), and makes six separate calls into the WebAssembly module per query (parse,
 * describe, bind, describe, execute, sync). Here a statement with parameters is parsed once
 * under a name, its result columns described once, and every run after is one call of three
 * messages (bind, execute, sync); PostgreSQL plans it as it plans the pg driver's named statements (a generic plan once
 * it is as good as the custom ones). Values are written as text the way the pg driver writes them,
 * results parsed with the instance's own type parsers (so rows are what `PGlite.query` returns).
 * A statement without parameters (BEGIN, DDL) runs unnamed, in the same one call.
 */
import { protocol, type PGlite } from '@electric-sql/pglite';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';

/** Distinct statement texts named at most: past this, new texts run unnamed (the pg driver's side has the same cap). */
const MAX_NAMED_STATEMENTS = 1000;

type Parser = (value: string, typeId: number) => unknown;

interface Field {
  name: string;
  parse: Parser | undefined;
  typeId: number;
}

interface Prepared {
  name: string;
  /** Whether the statement exists in the session (its parse succeeded: it does even if that run then failed). */
  parsed?: boolean;
  /** The result columns, from the first run's description; undefined until then. */
  fields?: Field[];
}

export interface StatementResult {
  rows: Record<string, unknown>[];
  affectedRows: number;
}

/** A value as the text PostgreSQL reads for a parameter (what the pg driver writes): null stays null. */
export function parameterText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return arrayText(value);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  return JSON.stringify(value);
}

/** An array literal: `{"a","b",NULL}`, nested arrays as nested braces. */
function arrayText(values: unknown[]): string {
  const elements = values.map((v) => {
    if (Array.isArray(v)) return arrayText(v);
    const text = parameterText(v);
    return text === null ? 'NULL' : `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  });
  return `{${elements.join(',')}}`;
}

/** The parts of PGlite's parsed backend messages read here (pg-protocol's message classes). */
interface BackendMessage {
  name: string;
  fields?: (string | null)[] | { name: string; dataTypeID: number }[];
  text?: string;
  status?: string;
}

/** A backend answer read into rows of the described fields, with the first error and the transaction status. */
class Answer {
  readonly rows: Record<string, unknown>[] = [];
  affectedRows = 0;
  /** Whether a Parse of this call succeeded. */
  parsed = false;
  error: Error | undefined;
  /** The transaction status of the last ReadyForQuery: I (idle), T (in a transaction) or E (failed). */
  status = 'I';

  constructor(
    messages: readonly BackendMessage[],
    public fields: Field[] | undefined,
    private readonly parsers: PGlite['parsers'],
  ) {
    for (const message of messages) this.#read(message);
  }

  #read(message: BackendMessage): void {
    if (message.name === 'dataRow') this.#row(message.fields as (string | null)[]);
    else if (message.name === 'parseComplete') this.parsed = true;
    else if (message.name === 'rowDescription') this.fields = this.#describe(message.fields as { name: string; dataTypeID: number }[]);
    else if (message.name === 'noData') this.fields ??= [];
    else if (message.name === 'commandComplete') this.affectedRows = commandRows(message.text ?? '');
    else if (message.name === 'error') this.error ??= message as unknown as Error;
    else if (message.name === 'readyForQuery') this.status = message.status ?? 'I';
  }

  #describe(fields: { name: string; dataTypeID: number }[]): Field[] {
    return fields.map(({ name, dataTypeID }) => ({ name, typeId: dataTypeID, parse: this.parsers[dataTypeID] as Parser | undefined }));
  }

  #row(values: (string | null)[]): void {
    const fields = this.fields ?? [];
    const row: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as Field;
      const value = values[i] ?? null;
      row[field.name] = value === null || !field.parse ? value : field.parse(value, field.typeId);
    }
    this.rows.push(row);
  }
}

/** Rows a command tag reports: `INSERT 0 3`, `UPDATE 2`, `SELECT 5` (0 for BEGIN and the like). */
function commandRows(tag: string): number {
  const last = tag.slice(tag.lastIndexOf(' ') + 1);
  return /^\d+$/.test(last) ? Number(last) : 0;
}

const SYNC = protocol.serialize.sync();
const EXECUTE = protocol.serialize.execute({});
const DESCRIBE_PORTAL = protocol.serialize.describe({ type: 'P', name: '' });

/** Runs statements on one PGlite instance as described above; callers serialise access (one connection). */
export class PgliteStatements {
  readonly #named = new Map<string, Prepared>();
  #nextName = 0;

  constructor(private readonly pglite: PGlite) {}

  /** Runs `text` with `values`: named and prepared once when it has parameters (or `name` is given). */
  async query(text: string, values: readonly unknown[], name?: string): Promise<StatementResult> {
    const prepared = this.#prepared(text, values.length > 0 || name !== undefined, name);
    const params = values.map(parameterText);
    const parts: Uint8Array[] = [];
    const parse = !prepared?.parsed;
    const describe = !prepared?.fields;
    if (parse) parts.push(protocol.serialize.parse({ name: prepared?.name ?? '', text }));
    parts.push(protocol.serialize.bind({ statement: prepared?.name ?? '', values: params }));
    if (describe) parts.push(DESCRIBE_PORTAL);
    parts.push(EXECUTE, SYNC);
    // PGlite parses every answer into messages whatever the call (and keeps them until the next
    // execProtocol): the rows are read from those.
    const { messages } = await this.pglite.runExclusive(() =>
      this.pglite.execProtocol(Buffer.concat(parts), { syncToFs: false, throwOnError: false }),
    );
    const answer = new Answer(messages as unknown as BackendMessage[], prepared?.fields, this.pglite.parsers);
    if (answer.status === 'I') await this.pglite.syncToFs();
    if (prepared) {
      // A statement whose parse failed does not exist: it is parsed again next time. One whose
      // parse succeeded exists for the rest of the session, even if that run then failed (binding
      // or executing it): it is not parsed again (PostgreSQL would refuse its name), and described
      // on its next run if this one did not get that far.
      if (answer.parsed) prepared.parsed = true;
      if (describe && !answer.error) prepared.fields = answer.fields ?? [];
    }
    if (answer.error) throw answer.error;
    return { rows: answer.rows, affectedRows: answer.affectedRows };
  }

  #prepared(text: string, wanted: boolean, name: string | undefined): Prepared | undefined {
    if (!wanted) return undefined;
    let prepared = this.#named.get(text);
    if (!prepared && (name !== undefined || this.#named.size < MAX_NAMED_STATEMENTS)) {
      prepared = { name: name ?? `qb_l${this.#nextName++}` };
      this.#named.set(text, prepared);
    }
    return prepared;
  }
}

/**
 * Kysely's driver for PGlite over PgliteStatements: one connection (PGlite is one session), lent
 * to one caller at a time; a transaction keeps it until its end.
 */
class PgliteStatementsDriver implements Driver {
  readonly #connection: DatabaseConnection;
  #busy = false;
  readonly #queue: (() => void)[] = [];

  constructor(
    private readonly pglite: PGlite,
    statements: PgliteStatements,
  ) {
    this.#connection = {
      executeQuery: async <R>(compiled: CompiledQuery): Promise<QueryResult<R>> => {
        const { rows, affectedRows } = await statements.query(compiled.sql, compiled.parameters);
        return { rows: rows as R[], ...(affectedRows ? { numAffectedRows: BigInt(affectedRows) } : {}) };
      },
      streamQuery: () => {
        throw new Error('streaming is not supported on PGlite');
      },
    };
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#busy) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#busy = true;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.#queue.shift();
    if (next) next();
    else this.#busy = false;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const level = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    await connection.executeQuery(CompiledQuery.raw(`start transaction${level}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

/** The Kysely dialect of PGlite with named statements (the package's dialect, with this driver). */
export class PgliteStatementsDialect extends PGliteDialect {
  constructor(
    private readonly instance: PGlite,
    private readonly statements: PgliteStatements,
  ) {
    super(instance);
  }

  override createDriver(): Driver {
    return new PgliteStatementsDriver(this.instance, this.statements);
  }
}

/**
 * A hot Kysely query whose shape never changes, built and compiled to SQL once per database
 * handle and then only run with each call's values. Building the operation tree and compiling it
 * cost Node CPU on every request (10-20 µs for GET /me's select alone, warm, more in a busy
 * process), and a fresh text must be hashed again to find its statement name; the text is the same
 * either way, so PostgreSQL and PGlite still run it as the same named prepared statement
 * (db/connect.ts, db/pglite-statements.ts), and Kysely's plugins still see every query
 * (transformQuery, with the compiled tree) and its result.
 */
import { type Compilable, type CompiledQuery, createQueryId, type Kysely } from 'kysely';
import type { Database } from './schema';

/** A compiled query and, per parameter, the index of the call's argument it takes (or -1: the compiled constant). */
interface Template<R> {
  compiled: CompiledQuery<R>;
  slots: number[];
}

/**
 * `build` receives one marker string per argument, whatever the argument's type (a string, an
 * array bound as one parameter), and must pass each to the query as a value (a parameter); the
 * compiled parameters equal to a marker take that argument on every run, the others stay as
 * compiled. A marker that is not found as a parameter is a mistake: it throws.
 */
export function compiledOnce<A extends unknown[], R>(
  build: (db: Kysely<Database>, ...args: A) => Compilable<R> & { execute(): Promise<unknown[]> },
): (db: Kysely<Database>, ...args: A) => Promise<R[]> {
  const templates = new WeakMap<Kysely<Database>, Template<R>>();
  const compile = (db: Kysely<Database>, arity: number): Template<R> => {
    const markers = Array.from({ length: arity }, (_, i) => `\u0000qb-compiled-arg-${i}\u0000`) as A;
    const compiled = build(db, ...markers).compile();
    const slots = compiled.parameters.map((p) => markers.indexOf(p));
    const missing = markers.findIndex((_, i) => !slots.includes(i));
    if (missing >= 0) throw new Error(`compiledOnce: argument ${missing} is not a parameter of the query`);
    return { compiled, slots };
  };
  return async (db, ...args) => {
    let template = templates.get(db);
    if (!template) {
      template = compile(db, args.length);
      templates.set(db, template);
    }
    const { compiled, slots } = template;
    // Plugins still see the query (a counter, a timer); one that rewrites it gets it built afresh.
    const executor = db.getExecutor();
    const queryId = createQueryId();
    if (executor.transformQuery(compiled.query, queryId) !== compiled.query) return (await build(db, ...args).execute()) as R[];
    const parameters = slots.map((slot, i) => (slot >= 0 ? args[slot] : compiled.parameters[i]));
    const result = await executor.executeQuery<R>({ ...compiled, parameters, queryId });
    return result.rows;
  };
}

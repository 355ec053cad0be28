import { type Kysely, sql } from 'kysely';

/**
 * Runs a DDL script one statement at a time: PGlite's extended protocol takes one statement per
 * query. Statements are split at a semicolon that ends a line, so keep one statement per `;\n`.
 */
export async function runStatements(db: Kysely<unknown>, script: string): Promise<void> {
  const statements = script
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
  for (const statement of statements) await sql.raw(statement).execute(db);
}

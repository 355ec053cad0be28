/** Transactions that compose: a service's writes join the caller's transaction when it has one. */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema';

/** The database, or a transaction a caller opened (an Idempotency-Key request runs in one). */
export type Db = Kysely<Database> | Transaction<Database>;

/**
 * Runs `work` in a transaction: the caller's when `db` is one (it commits or rolls back with the
 * caller's), else a new one.
 */
export function inTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<Database>) : db.transaction().execute(work);
}

/** Dashboard users: passwords hashed by `passwords.ts` (scrypt), compared in constant time. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { hashPassword } from './passwords';

export async function createUser(db: Kysely<Database>, clinicId: string, email: string, password: string) {
  return db
    .insertInto('users')
    .values({ clinic_id: clinicId, email: email.toLowerCase(), password_hash: await hashPassword(password) })
    .returning(['id', 'clinic_id', 'email'])
    .executeTakeFirstOrThrow();
}

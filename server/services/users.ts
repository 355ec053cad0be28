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

/** Password rules for a new password: a message saying what to fix, or undefined when it is fine. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 200;

export function newPasswordProblem(password: string, confirmation: string, current: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Choose a new password of at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `A password can be at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (password !== confirmation) return 'The two new passwords are not the same: type it again in both fields.';
  if (password === current) return 'The new password must differ from the current one.';
  return undefined;
}

/** Replaces a user's password (hashed with today's parameters). */
export async function setPassword(db: Kysely<Database>, userId: string, password: string): Promise<void> {
  const hash = await hashPassword(password);
  await db.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute();
}

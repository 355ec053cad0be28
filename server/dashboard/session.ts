/**
 * Dashboard sign-in and sessions. The cookie carries a random token; the database keeps only its
 * SHA-256 (so a copy of the table cannot sign anyone in), the user, the session's CSRF token and
 * its expiry. Sign-in attempts are logged before the password is checked; failed ones slow down
 * the (email, address) pair that made them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { BUSY_RETRY_AFTER_SECONDS, hashPassword, needsRehash, PasswordHashingBusy, verifyPassword } from '../services/passwords';

/** A session ends after this long without a request... */
export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
/** ...and at the latest this long after sign-in. */
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;
/** How often last_seen_at / expires_at are pushed forward (keeps writes off every request). */
const TOUCH_EVERY_MS = 60 * 1000;

/**
 * Sign-in throttle. Failures count per email *and* client address together, so a stranger
 * guessing the clinic's password slows only themselves: after FREE_FAILURES the pair waits
 * FIRST_DELAY_MS, doubling with each further failure up to MAX_DELAY_MS. There is no lockout of
 * an email; one address is also capped over all emails (MAX_FAILURES_PER_IP per window).
 */
export const LOGIN_WINDOW_MS = 60 * 60 * 1000;
export const FREE_FAILURES = 3;
export const FIRST_DELAY_MS = 5_000;
export const MAX_DELAY_MS = 15 * 60 * 1000;
export const IP_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_IP = 20;

/** How long an (email, address) pair with `failures` recent failures waits after the last one. */
export function signInDelayMs(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - FREE_FAILURES));
}

export interface DashboardSession {
  /** SHA-256 of the cookie token. */
  id: string;
  userId: string;
  email: string;
  clinicId: string;
  clinicName: string;
  timeZone: string;
  csrfToken: string;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const token = () => randomBytes(32).toString('base64url');

export async function createSession(db: Kysely<Database>, userId: string, now = Date.now()): Promise<{ token: string; csrfToken: string }> {
  const cookieToken = token();
  const csrfToken = token();
  await db
    .insertInto('dashboard_sessions')
    .values({
      id: sha256(cookieToken),
      user_id: userId,
      csrf_token: csrfToken,
      created_at: new Date(now),
      last_seen_at: new Date(now),
      expires_at: new Date(now + SESSION_IDLE_MS),
    })
    .execute();
  return { token: cookieToken, csrfToken };
}

/** The live session for a cookie token; an expired one is deleted and not returned. */
export async function loadSession(db: Kysely<Database>, cookieToken: string, now = Date.now()): Promise<DashboardSession | undefined> {
  if (!cookieToken || cookieToken.length > 200) return undefined;
  const id = sha256(cookieToken);
  const row = await db
    .selectFrom('dashboard_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('clinics as c', 'c.id', 'u.clinic_id')
    .select([
      's.id',
      's.user_id',
      's.csrf_token',
      's.created_at',
      's.last_seen_at',
      's.expires_at',
      'u.email',
      'u.clinic_id',
      'c.name',
      'c.timezone',
    ])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.expires_at.getTime() <= now) {
    await db.deleteFrom('dashboard_sessions').where('id', '=', id).execute();
    return undefined;
  }
  if (now - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
    const expires = Math.min(now + SESSION_IDLE_MS, row.created_at.getTime() + SESSION_MAX_MS);
    await db
      .updateTable('dashboard_sessions')
      .set({ last_seen_at: new Date(now), expires_at: new Date(expires) })
      .where('id', '=', id)
      .execute();
  }
  return {
    id: row.id,
    userId: row.user_id,
    email: row.email,
    clinicId: row.clinic_id,
    clinicName: row.name,
    timeZone: row.timezone,
    csrfToken: row.csrf_token,
  };
}

export async function destroySession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.deleteFrom('dashboard_sessions').where('id', '=', sessionId).execute();
}

/** Ends every session of a user (sign out everywhere; a password change, see rotateUserSessions). */
export async function destroyUserSessions(db: Kysely<Database>, userId: string): Promise<number> {
  const result = await db.deleteFrom('dashboard_sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * After a password change: every session of the user ends, the one that changed it included, and
 * that browser gets a new one (a new id and CSRF token), in one transaction. A copy of the old
 * cookie, wherever it leaked, signs nobody in any more.
 */
export async function rotateUserSessions(
  db: Kysely<Database>,
  userId: string,
  now = Date.now(),
): Promise<{ token: string; csrfToken: string }> {
  return db.transaction().execute(async (trx) => {
    await destroyUserSessions(trx, userId);
    return createSession(trx, userId, now);
  });
}

/** Housekeeping, at most once a minute per process: expired sessions and old attempt records. */
const PRUNE_EVERY_MS = 60 * 1000;
let prunedAt = Number.NEGATIVE_INFINITY;
async function pruneNowAndThen(db: Kysely<Database>, now: number): Promise<void> {
  if (Math.abs(now - prunedAt) < PRUNE_EVERY_MS) return;
  prunedAt = now;
  await db.deleteFrom('dashboard_sessions').where('expires_at', '<=', new Date(now)).execute();
  await db
    .deleteFrom('dashboard_login_failures')
    .where('attempted_at', '<', new Date(now - LOGIN_WINDOW_MS))
    .execute();
}

/** A hash to verify against when the email is unknown, so both cases cost one scrypt. */
let decoyHash: Promise<string> | undefined;
const decoy = () => {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex')).catch((error) => {
    decoyHash = undefined; // refused while busy: made again next time
    throw error;
  });
  return decoyHash;
};

export type SignInResult =
  | { ok: true; userId: string }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'rate_limited' | 'busy'; retryAfterSeconds: number };

/**
 * Checks an email and password from a client address (its throttle group: see client-address.ts).
 * Unknown email and wrong password take the same time and give the same answer. The attempt is
 * counted before the password is checked (`reserveAttempt`), so a parallel burst gets no more
 * checks than the limits allow; it stays counted as a failure unless the password is right. With
 * too many checks already running or waiting in this process, the attempt is refused as `busy`
 * and not counted. A right password stored with older scrypt parameters is hashed again.
 */
export async function signIn(
  db: Kysely<Database>,
  emailInput: string,
  password: string,
  address: string,
  now = Date.now(),
): Promise<SignInResult> {
  const email = emailInput.trim().toLowerCase().slice(0, 254);
  await pruneNowAndThen(db, now);
  const attempt = await reserveAttempt(db, email, address, now);
  if (!attempt.ok) return attempt;
  let user: { id: string; password_hash: string } | undefined;
  try {
    user = await checkPassword(db, email, password);
  } catch (error) {
    if (!(error instanceof PasswordHashingBusy)) throw error;
    await db.deleteFrom('dashboard_login_failures').where('id', '=', attempt.id).execute();
    return { ok: false, reason: 'busy', retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS };
  }
  if (!user) return { ok: false, reason: 'invalid' };
  await db.deleteFrom('dashboard_login_failures').where('email', '=', email).where('ip', '=', address).execute();
  await rehashIfOld(db, user, password);
  return { ok: true, userId: user.id };
}

/**
 * Counts an attempt of (email, address) before its password is checked, unless the pair is still
 * waiting out its delay or the address is over its cap. Attempts of one address are counted one at
 * a time (an advisory lock of the address, in the database, so every instance agrees).
 */
async function reserveAttempt(
  db: Kysely<Database>,
  email: string,
  address: string,
  now: number,
): Promise<{ ok: true; id: string } | { ok: false; reason: 'rate_limited'; retryAfterSeconds: number }> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`dashboard_login:${address}`}, 0))`.execute(trx);
    const failures = await trx
      .selectFrom('dashboard_login_failures')
      .select([
        sql<number>`count(*) filter (where email = ${email})`.as('by_pair'),
        sql<Date | null>`max(attempted_at) filter (where email = ${email})`.as('last_by_pair'),
        sql<number>`count(*) filter (where attempted_at >= ${new Date(now - IP_WINDOW_MS)})`.as('by_ip'),
        sql<Date | null>`min(attempted_at) filter (where attempted_at >= ${new Date(now - IP_WINDOW_MS)})`.as('oldest_by_ip'),
      ])
      .where('ip', '=', address)
      .where('attempted_at', '>=', new Date(now - LOGIN_WINDOW_MS))
      .executeTakeFirstOrThrow();
    const pairReadyAt = failures.last_by_pair ? new Date(failures.last_by_pair).getTime() + signInDelayMs(Number(failures.by_pair)) : now;
    const ipReadyAt =
      Number(failures.by_ip) >= MAX_FAILURES_PER_IP && failures.oldest_by_ip
        ? new Date(failures.oldest_by_ip).getTime() + IP_WINDOW_MS
        : now;
    const readyAt = Math.max(pairReadyAt, ipReadyAt);
    if (readyAt > now) return { ok: false, reason: 'rate_limited', retryAfterSeconds: Math.max(1, Math.ceil((readyAt - now) / 1000)) };
    const row = await trx
      .insertInto('dashboard_login_failures')
      .values({ email, ip: address, attempted_at: new Date(now) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ok: true, id: row.id };
  });
}

/** The user, when the password is theirs; one scrypt either way. */
async function checkPassword(db: Kysely<Database>, email: string, password: string) {
  const user = await db.selectFrom('users').select(['id', 'password_hash']).where('email', '=', email).executeTakeFirst();
  const valid = await verifyPassword(password, user?.password_hash ?? (await decoy()));
  return user && valid ? user : undefined;
}

/** Replaces a hash made with older scrypt parameters; when hashing is busy, the next sign-in does it. */
async function rehashIfOld(db: Kysely<Database>, user: { id: string; password_hash: string }, password: string): Promise<void> {
  if (!needsRehash(user.password_hash)) return;
  try {
    const fresh = await hashPassword(password);
    await db
      .updateTable('users')
      .set({ password_hash: fresh })
      .where('id', '=', user.id)
      .where('password_hash', '=', user.password_hash)
      .execute();
  } catch (error) {
    if (!(error instanceof PasswordHashingBusy)) throw error;
  }
}

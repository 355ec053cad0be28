/**
 * Password hashing: scrypt with N=2^17, r=8, p=1 (OWASP's current minimum), the parameters kept in
 * the hash string (`scrypt$N$r$p$<salt>$<hash>`), so older hashes still verify and are replaced at
 * the next successful sign-in (`needsRehash`).
 *
 * Each hash takes ~128 MiB and one of libuv's four threads for a good fraction of a second; the
 * same four threads serve DNS lookups (webhook targets) and file system calls for everything else.
 * So every hash of the process goes through one small gate: at most HASH_CONCURRENCY at a time,
 * at most HASH_QUEUE waiting, and anything beyond is refused at once with `PasswordHashingBusy`
 * (the dashboard answers 503 with Retry-After) instead of queueing without bound.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
/** scrypt needs 128 * N * r bytes: 128 MiB at the current parameters; room for that and no more than twice it. */
const MAX_MEMORY = 2 * 128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r;

/** Password hashes running at once, in this process (libuv has 4 threads; the rest stay free). */
export const HASH_CONCURRENCY = 2;
/** Hashes waiting for a turn; one more is refused. */
export const HASH_QUEUE = 8;
/** What a refused caller is told to wait, in seconds. */
export const BUSY_RETRY_AFTER_SECONDS = 2;

export class PasswordHashingBusy extends Error {
  constructor() {
    super('Too many passwords are being checked right now');
  }
}

/** A counting semaphore with a bounded queue; `maxActive` records the most ever running at once. */
export class HashGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  maxActive = 0;

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) throw new PasswordHashingBusy();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  get queued(): number {
    return this.waiting.length;
  }
}

/** The one gate of this process: every hash and every check goes through it. */
export const hashGate = new HashGate(HASH_CONCURRENCY, HASH_QUEUE);

interface Params {
  N: number;
  r: number;
  p: number;
}

function scrypt(password: string, salt: Buffer, length: number, params: Params): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: MAX_MEMORY };
  return hashGate.run(
    () => new Promise((resolve, reject) => scryptCb(password, salt, length, options, (err, key) => (err ? reject(err) : resolve(key)))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

function parse(stored: string): { params: Params; salt: Buffer; hash: Buffer } | undefined {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (scheme !== 'scrypt' || !salt || !hash || !Object.values(params).every((v) => Number.isInteger(v) && v > 0)) return undefined;
  return { params, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

/** Checks a password against a stored hash, with the parameters the hash was made with. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const actual = await scrypt(password, parsed.salt, parsed.hash.length, parsed.params);
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

/** Was this hash made with other parameters than today's (so it is replaced at the next sign-in)? */
export function needsRehash(stored: string): boolean {
  const params = parse(stored)?.params;
  return !params || params.N !== SCRYPT_PARAMS.N || params.r !== SCRYPT_PARAMS.r || params.p !== SCRYPT_PARAMS.p;
}

/**
 * The domain errors every layer may throw (services, http, dashboard): a status, a stable code,
 * a message and optional details. How they become a response lives in http/errors.ts.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { ErrorCode } from '../contract';

export type ErrorDetail = { path: string; message: string };

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const invalidInput = (message: string, details?: ErrorDetail[]) => new ApiError(400, 'invalid_input', message, details);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const slotUnavailable = (message = 'That time is not available: pick another slot from GET /api/v1/availability') =>
  new ApiError(409, 'slot_unavailable', message);

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** A one-line message naming the first problems, so a human sees the cause without the details. */
export function zodMessage(error: z.ZodError, where: string): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return `Invalid ${where}: ${parts.join('; ')}${more}`;
}

/** Check constraints a request can trip, as the API user would put it. */
const CHECK_MESSAGES: Record<string, ApiError> = {
  leads_check: invalidInput('A lead needs a phone or an email: both cannot be empty', [
    { path: 'phone', message: 'phone or email is required' },
  ]),
  appointments_check: invalidInput('ends_at must be after scheduled_at', [{ path: 'ends_at', message: 'must be after scheduled_at' }]),
  calendar_blocks_check: invalidInput('ends_at must be after starts_at', [{ path: 'ends_at', message: 'must be after starts_at' }]),
};

/** How long a client should wait after a temporary failure: the database unreachable or busy. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
/** ...and after the server began to shut down (another instance, or this one restarted, answers soon). */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 2;

export const serviceUnavailable = (message: string, retryAfterSeconds: number) =>
  new ApiError(503, 'service_unavailable', message, undefined, { 'Retry-After': String(retryAfterSeconds) });

/**
 * PostgreSQL SQLSTATEs of a failure that passes by itself: connection exceptions (class 08),
 * the server shutting down or starting (57P01-57P03), too many connections, and a transaction
 * chosen as a deadlock or serialization victim.
 */
const TEMPORARY_SQLSTATE = /^(08...|57P0[123]|53300|40001|40P01)$/;
/** Node's network errors of a database connection. */
const TEMPORARY_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** What pg, pg-pool, PGlite and Kysely say when the connection is gone, the pool is exhausted or closing. */
const TEMPORARY_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Cannot use a pool after calling end|PGlite is closed|driver has already been destroyed/;

/**
 * A temporary failure (the database unreachable, its connection lost, the pool exhausted or
 * closed) as 503 service_unavailable with Retry-After, so that clients retry; undefined for
 * anything else.
 */
export function temporaryFailure(error: unknown): ApiError | undefined {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (e === null || typeof e !== 'object') return undefined;
  const code = typeof e.code === 'string' ? e.code : '';
  const temporary =
    TEMPORARY_SQLSTATE.test(code) ||
    TEMPORARY_NETWORK.has(code) ||
    (typeof e.message === 'string' && TEMPORARY_MESSAGE.test(e.message)) ||
    (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => temporaryFailure(inner) !== undefined));
  if (!temporary) return undefined;
  return serviceUnavailable(
    `The service is temporarily unavailable (its database cannot be reached or is busy): retry in ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
    DATABASE_RETRY_AFTER_SECONDS,
  );
}

/** PostgreSQL error codes that mean "your input" rather than "our bug". */
export function fromDatabaseError(error: unknown): ApiError | undefined {
  const code = (error as { code?: string } | null)?.code;
  const constraint = (error as { constraint?: string } | null)?.constraint;
  if (code === '23P01') return slotUnavailable(); // exclusion_violation: overlapping appointment
  if (code === '22P02' || code === '22007' || code === '22008') {
    return invalidInput('A value has the wrong format');
  }
  // character_not_in_repertoire / untranslatable_character: a text or JSON value carrying \u0000.
  if (code === '22021' || code === '22P05') {
    return invalidInput('A text value contains a character that cannot be stored, such as the NUL character \\u0000');
  }
  // The constraint's name is the database's business: say what is wrong in the API's words.
  if (code === '23503') return invalidInput('A referenced record does not exist');
  if (code === '23514') return CHECK_MESSAGES[constraint ?? ''] ?? invalidInput('A value is out of range');
  return undefined;
}

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

/** Hooks that turn zod validation failures and malformed requests into 400 invalid_input. */
import type { Context } from 'hono';
import type { AppEnv } from '../context';
import type { z } from 'zod';
import { ApiError, zodDetails, zodMessage } from '../errors';
import { errorJson } from './errors';

const TARGET_NAMES: Record<string, string> = {
  json: 'request body',
  query: 'query parameters',
  param: 'path parameters',
  header: 'headers',
  form: 'form',
};

/**
 * Passed to OpenAPIHono as defaultHook: runs after each request part is validated. A refusal here
 * follows from the request alone (no stored state read yet), so it is marked as such.
 */
export function validationHook(result: { success: true } | { success: false; error: z.ZodError; target?: string }, c: Context<AppEnv>) {
  if (result.success) return undefined;
  c.set('refusedForInput', true);
  const where = TARGET_NAMES[result.target ?? ''] ?? 'request';
  return errorJson(c, new ApiError(400, 'invalid_input', zodMessage(result.error, where), zodDetails(result.error)));
}

/** JSON body parsing for the routes that are not OpenAPI routes (dev tools, dashboard helpers). */
import type { Context } from 'hono';
import type { z } from 'zod';
import { invalidInput, zodDetails, zodMessage } from '../errors';

export async function parseJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw invalidInput('The request body must be valid JSON');
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw invalidInput(zodMessage(result.error, 'request body'), zodDetails(result.error));
  return result.data;
}

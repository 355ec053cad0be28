/**
 * Building blocks shared by every resource of the public contract.
 * Plain zod only: the Zapier app imports this folder too, so nothing server-side belongs here.
 */
import { z } from 'zod';

/** ISO 8601 UTC with milliseconds, e.g. 2026-05-15T11:00:00.000Z (what the API always returns). */
export const Timestamp = z.iso.datetime({ offset: false }).meta({ example: '2026-05-15T11:00:00.000Z' });

/** What the API accepts for instants: any ISO 8601 date-time with Z or an offset. */
export const InstantInput = z.iso.datetime({ offset: true }).meta({ example: '2026-05-15T11:00:00Z' });

/** A calendar day or a full date-time, for range filters such as `from=2026-04-26`. */
export const DateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).meta({ example: '2026-04-26' });

export const Uuid = z.uuid();

/** E.164: a plus, a country code, at most 15 digits in all. */
export const E164Phone = z
  .string()
  .trim()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +14155551212')
  .meta({ example: '+14155551212' });

export const Email = z.email().max(254).meta({ example: 'alex@example.com' });

/** ISO 3166-1 alpha-2 country code. */
export const CountryCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO 3166-1 country code such as US')
  .transform((s) => s.toUpperCase())
  .meta({ example: 'US' });

export const PaginationQuery = z.object({
  page: z.coerce.number().int().min(1).default(1).meta({ description: 'Page number, from 1.' }),
  per_page: z.coerce.number().int().min(1).max(100).default(25).meta({ description: 'Items per page (max 100).' }),
});

export const PageMeta = z
  .object({
    page: z.number().int().meta({ description: 'The page number asked for (1 on a page asked by starting_after).' }),
    per_page: z.number().int().meta({ description: 'Items per page.' }),
    total: z.number().int().meta({
      description:
        'Exact number of items matching the filters, on all pages (unfiltered on the lists that take starting_after, or filtering appointments or contacts by status only: read from counts the server keeps, the same cost at any size).',
    }),
  })
  .meta({ id: 'PageMeta' });

/**
 * The lists that also take a cursor (issue 20: appointments, leads, campaign contacts): page
 * numbers, or `starting_after` the id of an item, whose cost does not grow with the depth.
 */
export const CursorPaginationQuery = PaginationQuery.extend({
  starting_after: Uuid.optional().meta({
    description:
      "The id of an item of this list (the last one of the page before): the page starts right after it in the list's order, so items added meanwhile neither repeat nor push items off the page. The item need not match the filters any more. Not with a page other than 1.",
  }),
});

/** A cursor list's meta: the page's meta and whether more items follow. */
export const CursorPageMeta = PageMeta.extend({
  has_more: z.boolean().meta({ description: 'Whether more items follow this page (then pass the last id as starting_after).' }),
}).meta({ id: 'CursorPageMeta' });

/** `{"data": [...], "meta": {...}}`, newest first. */
export function listOf<T extends z.ZodTypeAny, M extends z.ZodTypeAny = typeof PageMeta>(item: T, id: string, meta?: M) {
  return z.object({ data: z.array(item), meta: (meta ?? PageMeta) as M }).meta({ id });
}

export const ErrorCode = z.enum([
  'invalid_input',
  'unauthorized',
  'insufficient_scope',
  'not_found',
  'slot_unavailable',
  'payload_too_large',
  'rate_limited',
  'limit_reached',
  'idempotency_key_in_use',
  'idempotency_key_reused',
  'service_unavailable',
  'internal_error',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z
  .object({
    error: z.string().meta({ description: 'Human-readable message.' }),
    code: ErrorCode,
    details: z
      .array(
        z.object({
          path: z.string().meta({ description: 'Dotted path of the offending field, or empty.' }),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;

export const SCOPES = [
  'leads:read',
  'leads:write',
  'agents:read',
  'availability:read',
  'availability:write',
  'appointments:read',
  'appointments:write',
  'campaigns:read',
  'campaigns:write',
  'webhooks:write',
] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

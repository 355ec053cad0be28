/**
 * `apiRoute` wraps createRoute so that every endpoint declares its scope, its error responses and
 * its security once, and the OpenAPI document says the same as the middleware enforces.
 */
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { ErrorBody, type Scope } from '../../contract';
import type { AppEnv } from '../context';
import { requireScope } from './auth';
import { servePageFromCache } from './page-cache';

const ERROR_DESCRIPTIONS = {
  400: 'invalid_input: the request is malformed or a field is invalid',
  401: 'unauthorized: missing, invalid or revoked API key, or a key in the query string',
  403: 'insufficient_scope: the API key lacks the scope this endpoint needs',
  404: 'not_found: no such resource in this clinic',
  409: 'slot_unavailable: the time is already booked or blocked',
  413: 'payload_too_large: the request body is over the size limit',
  429: "rate_limited: over 120 requests per minute for this API key, or over the clinic's budget for all its keys together (the message says which; see Retry-After)",
} as const;
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

const errorContent = { 'application/json': { schema: ErrorBody } };

export function errorResponses(statuses: readonly ErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: ERROR_DESCRIPTIONS[status], content: errorContent }]),
  ) as Record<ErrorStatus, { description: string; content: typeof errorContent }>;
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});

type ApiRouteConfig = Omit<RouteConfig, 'middleware' | 'security'> & {
  scope: Scope;
  /** Error statuses beyond the ones every authenticated endpoint can answer (400/401/403/429). */
  errors?: readonly ErrorStatus[];
  /**
   * Answers repeated requests from memory while the clinic's data is unchanged (page-cache.ts).
   * Only for reads whose answer depends on nothing but the URL, the clinic's appointments and
   * leads, and its calendar settings.
   */
  cached?: boolean;
};

/** An authenticated /api/v1 endpoint guarded by `scope`. */
export function apiRoute<const C extends ApiRouteConfig>(config: C) {
  const { scope, errors = [], responses, description, cached = false, ...rest } = config;
  const statuses = [...new Set<ErrorStatus>([400, 401, 403, 429, ...errors])];
  return createRoute({
    ...rest,
    description: `${description ?? ''}${description ? '\n\n' : ''}Requires scope \`${scope}\`.`,
    security: [{ bearerAuth: [] }],
    middleware: (cached ? [requireScope(scope), servePageFromCache] : [requireScope(scope)]) as MiddlewareHandler<AppEnv>[],
    responses: { ...responses, ...errorResponses(statuses) },
  } as unknown as C);
}

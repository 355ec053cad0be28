/**
 * `apiRoute` wraps createRoute so that every endpoint declares its scope, its error responses and
 * its security once, and the OpenAPI document says the same as the middleware enforces.
 */
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { ErrorBody, type Scope } from '../../contract';
import type { AppEnv } from '../context';
import { requireScope } from './auth';
import { honourIdempotencyKey } from './idempotency';
import { answerBytes, jsonBytesAnswer, servePageFromCache } from './page-cache';

const ERROR_DESCRIPTIONS = {
  400: 'invalid_input: the request is malformed or a field is invalid',
  401: 'unauthorized: missing, invalid or revoked API key, or a key in the query string',
  403: 'insufficient_scope: the API key lacks the scope this endpoint needs',
  404: 'not_found: no such resource in this clinic',
  409: 'slot_unavailable: the time is already booked or blocked',
  413: 'payload_too_large: the request body is over the size limit',
  422: 'idempotency_key_reused: this Idempotency-Key was used in the last 24 hours for a different request (endpoint or body)',
  429: "rate_limited: over 120 requests per minute for this API key, or over the clinic's budget for all its keys together (the message says which; see Retry-After)",
  503: 'service_unavailable: a temporary failure (the database unreachable or busy, the server shutting down); retry after Retry-After seconds',
} as const;
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

const IN_USE = 'idempotency_key_in_use: the first request with this Idempotency-Key is still running (see Retry-After)';

/**
 * The response headers clients rely on, declared once under components/headers (routes/openapi.ts
 * registers them) and referenced by every response that can carry them.
 */
export type ResponseHeader =
  | 'RateLimit-Policy'
  | 'RateLimit'
  | 'X-QualifyBase-Clinic-RateLimit-Policy'
  | 'X-QualifyBase-Clinic-RateLimit'
  | 'X-Request-Id'
  | 'Retry-After'
  | 'WWW-Authenticate'
  | 'Idempotent-Replayed';
type HeaderDeclaration = {
  description: string;
  schema: { type: 'string' | 'integer'; enum?: string[]; minimum?: number };
  example?: string | number;
};

export const RESPONSE_HEADERS: Record<ResponseHeader, HeaderDeclaration> = {
  'RateLimit-Policy': {
    description: 'The rate limit policy of the API key: 120 requests (q) per 60-second window (w). On every response.',
    schema: { type: 'string' },
    example: '"default";q=120;w=60',
  },
  RateLimit: {
    description:
      'Requests left (r) in the current window and seconds until it resets (t). On every response once the API key is known (not on a 401).',
    schema: { type: 'string' },
    example: '"default";r=119;t=60',
  },
  'X-QualifyBase-Clinic-RateLimit-Policy': {
    description:
      "The clinic's budget, shared by all its API keys: q requests per w-second window (QB_CLINIC_RATE_LIMIT on the reference server). On every response that reached authentication.",
    schema: { type: 'string' },
    example: '"clinic";q=600;w=60',
  },
  'X-QualifyBase-Clinic-RateLimit': {
    description:
      "Requests the clinic's keys may still send together (r) in the current window and seconds until it resets (t). On every response once the API key is known (not on a 401).",
    schema: { type: 'string' },
    example: '"clinic";r=599;t=60',
  },
  'X-Request-Id': {
    description: "The request id (the client's own X-Request-Id when it is a short safe token): quote it to support.",
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before sending the request again.', schema: { type: 'integer', minimum: 0 }, example: 5 },
  'WWW-Authenticate': {
    description: 'How to authenticate: a Bearer API key.',
    schema: { type: 'string' },
    example: 'Bearer realm="qualifybase", error="invalid_token"',
  },
  'Idempotent-Replayed': {
    description: 'true: this is the stored response to an earlier request with the same Idempotency-Key, not a new execution.',
    schema: { type: 'string', enum: ['true'] },
  },
};

const refs = (names: readonly ResponseHeader[]) =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }])) as Record<string, { $ref: string }>;

/** The headers of a response with this status; `replayable`: it may be an Idempotency-Key replay. */
export function responseHeaders(status: number, replayable = false) {
  const names: ResponseHeader[] = [
    'RateLimit-Policy',
    'RateLimit',
    'X-QualifyBase-Clinic-RateLimit-Policy',
    'X-QualifyBase-Clinic-RateLimit',
    'X-Request-Id',
  ];
  if (status === 429 || status === 503 || (status === 409 && replayable)) names.push('Retry-After');
  if (status === 401) names.push('WWW-Authenticate');
  if (replayable && (status < 300 || status === 400)) names.push('Idempotent-Replayed');
  return refs(names);
}

const errorContent = { 'application/json': { schema: ErrorBody } };

/** The error responses of `statuses`; `idempotent` adds what an Idempotency-Key can answer (409 in use, 422, replays). */
export function errorResponses(statuses: readonly ErrorStatus[], idempotent = false) {
  const all = idempotent ? [...new Set<ErrorStatus>([...statuses, 409, 422])] : statuses;
  return Object.fromEntries(
    all.map((status) => {
      let description: string = ERROR_DESCRIPTIONS[status];
      if (status === 409 && idempotent) description = statuses.includes(409) ? `${description}; or ${IN_USE}` : IN_USE;
      return [status, { description, headers: responseHeaders(status, idempotent), content: errorContent }];
    }),
  ) as Record<ErrorStatus, { description: string; headers: Record<string, { $ref: string }>; content: typeof errorContent }>;
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  headers: responseHeaders(200),
  content: { 'application/json': { schema } },
});

/**
 * An answer of JSON text a service wrote (the database, for GET and POST /appointments): sent as
 * it is, with c.json's Content-Type, and kept by the page cache as a c.json answer would be. Its
 * headers go to node-server as a plain object (answer-headers.ts) on a route declared `answersPlain`.
 */
export function jsonText(c: Context<AppEnv>, text: string, status: 200 | 201 = 200) {
  const body = answerBytes(text);
  c.set('answerBody', body);
  return jsonBytesAnswer(c, body, status);
}

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});

/** The request header of the writes that honour it. */
const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe (IETF httpapi Idempotency-Key draft): a unique key per intended request, e.g. a UUID, as a bare token or a quoted string, at most 255 characters. For 24 hours, the same key (for this API key) with the same method, path and body (compared as JSON: key order and whitespace do not matter) answers the first response again with `Idempotent-Replayed: true`; with another request it is 422 idempotency_key_reused; while the first is still running, 409 idempotency_key_in_use with Retry-After. Kept are 2xx answers and 400s that follow from the request alone (schema, malformed JSON); an answer that depends on stored data (404, 409 slot_unavailable, a 400 such as a paused campaign) is not kept, so the same key runs again once that changed; never a 5xx, so a retry after an outage runs again. The 255-character limit applies to the header as sent, quotes included.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
  example: '8e0f3a52-1c4b-4d7e-9f26-5a3b1c0d9e74',
} as const;

type ApiRouteConfig = Omit<RouteConfig, 'middleware' | 'security'> & {
  scope: Scope;
  /** Honours the Idempotency-Key request header (http/idempotency.ts): a write not idempotent by its own fields. */
  idempotent?: boolean;
  /** Error statuses beyond the ones every authenticated endpoint can answer (400/401/403/429). */
  errors?: readonly ErrorStatus[];
  /**
   * Answers repeated requests from memory while the clinic's data is unchanged (page-cache.ts).
   * Only for reads whose answer depends on nothing but the URL, the clinic's appointments and
   * leads, and its calendar settings.
   */
  cached?: boolean;
  /**
   * The handler answers with jsonText alone (or throws): the answer headers then reach node-server
   * as a plain object (answer-headers.ts). Any other route's scope check first gives them to Hono,
   * for its handler's c.json or c.body.
   */
  answersPlain?: boolean;
};

/** The route's own responses with the headers their status carries (Idempotent-Replayed on an idempotent write's). */
function withHeaders(responses: RouteConfig['responses'], idempotent: boolean): RouteConfig['responses'] {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => [status, { ...response, headers: responseHeaders(Number(status), idempotent) }]),
  );
}

/** An authenticated /api/v1 endpoint guarded by `scope`. */
export function apiRoute<const C extends ApiRouteConfig>(config: C) {
  const { scope, errors = [], responses, description, cached = false, idempotent = false, answersPlain = false, ...rest } = config;
  const statuses = [...new Set<ErrorStatus>([400, 401, 403, 429, 503, ...errors])];
  const middleware: MiddlewareHandler<AppEnv>[] = [requireScope(scope, !answersPlain)];
  if (cached) middleware.push(servePageFromCache);
  if (idempotent) middleware.push(honourIdempotencyKey);
  return createRoute({
    ...rest,
    description: `${description ?? ''}${description ? '\n\n' : ''}Requires scope \`${scope}\`.${idempotent ? ' Honours `Idempotency-Key`.' : ''}`,
    ...(idempotent ? { parameters: [IDEMPOTENCY_KEY_PARAMETER] } : {}),
    security: [{ bearerAuth: [] }],
    middleware,
    responses: { ...withHeaders(responses, idempotent), ...errorResponses(statuses, idempotent) },
  } as unknown as C);
}

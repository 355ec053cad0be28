/**
 * An API answer's headers as a plain object (issue 20, round 13). Set with c.header, each header
 * is a Headers.set of undici's (name and value checked, the list kept sorted), and node-server
 * turns that Headers back into an object for res.writeHead: about 20 µs of every API request.
 * Under /api/v1 the response-headers middleware and the API-key check write them into
 * `c.var.answerHeaders` instead. An answer made here (jsonText, a page-cache hit) hands them to
 * node-server as a plain object in a Response of its own, which node-server writes as it is,
 * with no Headers at all. Any other answer (c.json, c.body, an error) needs them in Hono's own
 * Headers first: `giveAnswerHeadersToHono` before it is made (the route's scope check, errorJson,
 * the page cache's c.json), and the response-headers middleware completes an answer that was made
 * without them (response-headers.ts). Read with c.get: Hono's c.var builds an object of every
 * variable at each read (about 1 % of the server's CPU for four reads per request).
 */
import type { Context } from 'hono';
import type { AnswerHeaderFields, AppEnv } from '../context';

type AnswerHeaderName = keyof AnswerHeaderFields;

/**
 * The names after content-type, in alphabetical order: a Headers object hands its fields to
 * node-server sorted by name, so a plain answer lists them in the same order on the wire.
 */
const AFTER_CONTENT_TYPE: readonly AnswerHeaderName[] = [
  'ratelimit',
  'ratelimit-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-qualifybase-clinic-ratelimit',
  'x-qualifybase-clinic-ratelimit-policy',
  'x-request-id',
];

/** Sets an answer header: in the pending object while there is one, else on Hono's answer. */
export function setAnswerHeader(c: Context<AppEnv>, name: AnswerHeaderName, value: string): void {
  const answer = c.get('answerHeaders');
  if (answer?.state === 'pending') answer.fields[name] = value;
  else c.header(name, value);
}

/** Hands the pending headers to Hono (c.header), so an answer made with c.json, c.body and the like carries them. */
export function giveAnswerHeadersToHono(c: Context<AppEnv>): void {
  const answer = c.get('answerHeaders');
  if (answer?.state !== 'pending') return;
  answer.state = 'given';
  const { fields } = answer;
  for (const name in fields) c.header(name, fields[name as AnswerHeaderName]);
}

/**
 * The answer with the pending headers, this Content-Type and the length as a plain object, or
 * undefined once they are Hono's (then the caller answers with c.body). node-server writes such a
 * Response's headers as they are: the same bytes, in the same order, as from a Headers object.
 */
export function plainAnswer(c: Context<AppEnv>, body: Buffer<ArrayBuffer>, status: 200 | 201, contentType: string): Response | undefined {
  const answer = c.get('answerHeaders');
  if (answer?.state !== 'pending') return undefined;
  answer.state = 'sent';
  const { fields } = answer;
  const headers: Record<string, string> = { 'cache-control': fields['cache-control'], 'content-type': contentType };
  for (const name of AFTER_CONTENT_TYPE) {
    const value = fields[name];
    if (value !== undefined) headers[name] = value;
  }
  // Named last, as node-server names it after a Headers object's fields (left to node:http, it
  // would follow Keep-Alive); a HEAD answer, made by Hono from this one, names none, as before.
  if (c.req.method !== 'HEAD') headers['Content-Length'] = String(body.byteLength);
  return new Response(body, { status, headers });
}

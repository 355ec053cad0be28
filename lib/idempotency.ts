/**
 * The Idempotency-Key a write sends (IETF httpapi draft "The Idempotency-Key HTTP Header Field"),
 * derived from the step instead of drawn at random, so a step Zapier runs again (after a
 * ThrottledError, or a replay) sends the same key and the API answers with the first response
 * instead of doing the write twice.
 *
 * The key is a hash of the operation's key and the request it makes (method, path and body, with
 * object keys sorted), which come from the step's input alone. The trade-off: the API keeps a key
 * for 24 hours per API key, so an identical step within 24 hours (the same operation with exactly
 * the same input, from any Zap on that connection) is answered with the first response and does
 * nothing new. For the writes that carry one (Book Appointment, Add Contact to Campaign, Create Lead
 * without External Source and External ID) a second identical write within a day is far more often
 * a retry than an intent; a Zap that really means to repeat one can add a field that differs (for
 * example the date in Notes).
 */
import { createHash } from 'node:crypto';

import { canonicalJson } from '../contract/canonical-json';

export interface KeyedRequest {
  /** The operation's key, e.g. `appointment` (Book Appointment). */
  operation: string;
  method: string;
  path: string;
  body: unknown;
  /**
   * The id of the record an earlier write under this step's key made, when that record no longer
   * stands (a cancelled booking): the write that replaces it gets a key of its own, still derived
   * from the step alone (lib/keyed-write.ts). Absent for the step's first write.
   */
  after?: string;
}

/** `zap-` + the base64url SHA-256 of the operation and its request (48 characters). */
export function idempotencyKey({ operation, method, path, body, after }: KeyedRequest): string {
  const digest = createHash('sha256').update(canonicalJson({ operation, method, path, body, after })).digest('base64url');
  return `zap-${digest}`;
}

/** The header's value: a structured-field string, i.e. the key in double quotes. */
export function idempotencyKeyHeader(key: string): string {
  return `"${key}"`;
}

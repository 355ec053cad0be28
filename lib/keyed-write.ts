/**
 * A write with an Idempotency-Key derived from the step (lib/idempotency.ts) whose answer may be
 * the API's replay of an earlier one. The API keeps a key's first answer for 24 hours and replays
 * it (`Idempotent-Replayed: true`) as it was then, but the record may have changed since: a
 * booking replayed as "confirmed" may be cancelled by now. So a replayed answer is never returned
 * as it is: the record is read again (GET), and
 * - when it still stands for what the step asked (`isLive`), the step returns it as it is now;
 * - when it no longer does (a cancelled booking), or is gone, the step writes again, under a key
 *   derived from the step's input plus the id of the record it replaces. That key is as
 *   deterministic as the first, so Zapier's retry of this step follows the same keys to the same
 *   new record instead of writing a third time.
 * A chain of replacements (book, cancel, book, cancel, ...) is followed up to MAX_REPLACEMENTS.
 */
import type { ZObject } from 'zapier-platform-core';

import { type ApiRequest, apiAnswer, apiRequest } from './client';
import { isNotFound } from './errors';

/** Records replaced in a row before the step gives up (each was cancelled again within a day). */
export const MAX_REPLACEMENTS = 10;

/** For records that only go away if deleted (leads, contacts): replaced over and over means something is wrong. */
export const REPLAYED_RECORD_GONE = {
  message: `QualifyBase answered this step ${MAX_REPLACEMENTS + 1} times in a row with a record it no longer has, so nothing was written. Replay the run in a few minutes, and report it to QualifyBase support if it happens again.`,
  code: 'replayed_record_gone',
};

export interface KeyedWrite<T> {
  /** The write: its request with `idempotencyKeyFor` set. */
  request: ApiRequest & { idempotencyKeyFor: string };
  /** The API path (under /api/v1) that reads the record the write made. */
  readPath: (record: T) => string;
  /** Whether the record still stands for what the step asked; default: as long as it exists. */
  isLive?: (record: T) => boolean;
  /** What the step tells the Zap owner after MAX_REPLACEMENTS records were replaced in a row. */
  tooManyReplacements: { message: string; code: string };
}

/** The record as it is now, or undefined when the API no longer has it (404). */
async function reread<T>(z: ZObject, path: string): Promise<T | undefined> {
  try {
    return await apiRequest<T>(z, { path });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Sends the write and returns the record it made (or the earlier one it replays) as it is now. */
export async function keyedWrite<T extends { id: string }>(z: ZObject, write: KeyedWrite<T>): Promise<T> {
  let replacing: string | undefined;
  for (let replaced = 0; replaced <= MAX_REPLACEMENTS; replaced++) {
    const answer = await apiAnswer<T>(z, { ...write.request, replacing });
    if (!answer.replayed) return answer.data;
    const current = await reread<T>(z, write.readPath(answer.data));
    if (current && (write.isLive?.(current) ?? true)) return current;
    z.console.log(`The replayed ${write.request.idempotencyKeyFor} ${answer.data.id} no longer stands: writing it again.`);
    replacing = answer.data.id;
  }
  throw new z.errors.Error(write.tooManyReplacements.message, write.tooManyReplacements.code, 409);
}

/**
 * Event ids (webhooks/outbox.ts `newEventId`): `evt_` and 24 hex digits of fresh random bytes,
 * drawn from a buffer refilled when used up; ids across many refills are all different.
 */
import { newEventId } from '../webhooks/outbox';

describe('newEventId', () => {
  it('writes evt_ and 24 hex digits, and never the same id twice across many refills of its random bytes', () => {
    const ids = Array.from({ length: 5_000 }, () => newEventId());
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Random, not a counter: the ids' hex digits are spread over all sixteen values in every position.
    for (let position = 4; position < 28; position++) expect(new Set(ids.map((id) => id[position])).size).toBe(16);
  });
});

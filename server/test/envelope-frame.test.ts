/**
 * A booking's event envelope around the object the statement writes (webhooks/outbox.ts
 * `envelopeFrame`): written by concatenation since issue 20's round 13, it must still be exactly
 * what JSON.stringify writes for the whole envelope, for every event type and any instant.
 */
import { EVENT_TYPES, eventDataKey } from '../../contract';
import { envelopeFrame } from '../webhooks/outbox';

const object = { id: '5f0c6a8e-1b1f-4c1e-9d0a-3c1f2a4b5c6d', title: 'Say "hi" \\ ünïcode', n: 1, none: null };

describe('envelopeFrame', () => {
  it.each(EVENT_TYPES)('frames %s exactly as JSON.stringify writes the envelope', (type) => {
    for (const created of [new Date(), new Date('0001-01-01T00:00:00.000Z'), new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999))]) {
      const frame = envelopeFrame(type, created);
      const whole = JSON.stringify({ id: frame.id, type, created: created.toISOString(), data: { [eventDataKey(type)]: object } });
      expect(frame.before + JSON.stringify(object) + frame.after).toBe(whole);
      expect(frame.created).toBe(created.toISOString());
      expect(frame.type).toBe(type);
    }
  });
});

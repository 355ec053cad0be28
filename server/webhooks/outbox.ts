/**
 * The transactional outbox. Services call `recordEvent` with the transaction that made the
 * change, so the event exists if and only if the change committed.
 */
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import { eventDataKey, type Appointment, type CampaignContact, type EventEnvelope, type EventType, type Lead } from '../../contract';
import type { Database } from '../db/schema';

export function newEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}

export function buildEnvelope(type: EventType, object: Appointment | CampaignContact | Lead, created = new Date()): EventEnvelope {
  return {
    id: newEventId(),
    type,
    created: created.toISOString(),
    data: { [eventDataKey(type)]: object } as EventEnvelope['data'],
  };
}

export async function recordEvent(
  trx: Transaction<Database>,
  clinicId: string,
  type: EventType,
  object: Appointment | CampaignContact | Lead,
): Promise<EventEnvelope> {
  const envelope = buildEnvelope(type, object);
  await trx
    .insertInto('webhook_events')
    .values({ id: envelope.id, clinic_id: clinicId, type, payload: JSON.stringify(envelope), created_at: envelope.created })
    .execute();
  return envelope;
}

/**
 * The transactional outbox. Services call `recordEvent` with the transaction that made the
 * change, so the event and its deliveries exist if and only if the change committed.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
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
  // One delivery per active subscription of the clinic that wants this event type; the
  // dispatcher hands them to the job queue once this transaction has committed.
  await trx
    .insertInto('webhook_deliveries')
    .columns(['id', 'clinic_id', 'webhook_id', 'event_id', 'next_attempt_at'])
    .expression((eb) =>
      eb
        .selectFrom('webhooks')
        .select([
          sql<string>`'msg_' || replace(gen_random_uuid()::text, '-', '')`.as('id'),
          'clinic_id',
          'id as webhook_id',
          sql<string>`${envelope.id}`.as('event_id'),
          sql<Date>`now()`.as('next_attempt_at'),
        ])
        .where('clinic_id', '=', clinicId)
        .where('status', '=', 'active')
        .where(sql<boolean>`${type} = any(events)`),
    )
    .execute();
  return envelope;
}

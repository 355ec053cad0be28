/**
 * The database side of claimed deliveries (delivery.ts): loading what a batch of claims is to
 * send, handing claims back, and queueing deliveries again for later. Every claim carries its
 * delivery's `job_seq` (see delivery.ts): a claim whose number moved on does nothing.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import type { DeliveryTarget } from './attempt';

/** A claim on a delivery: from the dispatcher, or a job of the queue. */
export interface DeliveryJob {
  deliveryId: string;
  /** The delivery's job_seq when this claim was made (absent in jobs queued before it existed). */
  seq?: number;
  /** How many times in a row it was queued again because its clinic was held (fair-slots.ts). */
  parked?: number;
}

/**
 * The deliveries of a batch of claims that are still to be attempted, in one query. A claim whose
 * delivery is gone (410, unsubscribed), finished, or superseded by a newer claim does nothing;
 * one whose subscription was disabled meanwhile is reported, for its deliveries to be failed.
 */
export async function loadTargets(
  db: Kysely<Database>,
  jobs: DeliveryJob[],
): Promise<{ targets: Array<DeliveryTarget & { parked: number }>; disabledWebhooks: string[] }> {
  if (jobs.length === 0) return { targets: [], disabledWebhooks: [] };
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .select([
      'd.id',
      'd.clinic_id',
      'd.status',
      'd.job_seq',
      'w.id as webhook_id',
      'w.url',
      'w.secret',
      'w.status as webhook_status',
      'e.type',
      'e.payload',
    ])
    .where(
      'd.id',
      'in',
      jobs.map((j) => j.deliveryId),
    )
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const targets: Array<DeliveryTarget & { parked: number }> = [];
  const disabled = new Set<string>();
  for (const { deliveryId, seq = 0, parked = 0 } of jobs) {
    const row = byId.get(deliveryId);
    if (row?.status !== 'pending' || row.job_seq !== seq) continue;
    if (row.webhook_status !== 'active') disabled.add(row.webhook_id);
    else {
      const { clinic_id: clinicId, webhook_id: webhookId, url, secret, type, payload } = row;
      targets.push({ deliveryId, clinicId, seq, webhookId, url, secret, type, payload, parked });
    }
  }
  return { targets, disabledWebhooks: [...disabled] };
}

/** Marks claimed deliveries undispatched again, unless a newer claim owns them: the next dispatcher sends them. */
export async function releaseUnstarted(db: Kysely<Database>, jobs: DeliveryJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await sql`
    update webhook_deliveries d set dispatched = false
    from unnest(${jobs.map((j) => j.deliveryId)}::text[], ${jobs.map((j) => j.seq ?? 0)}::int[]) as r(id, seq)
    where d.id = r.id and d.job_seq = r.seq and d.status = 'pending'
  `.execute(db);
}

/** A delivery to queue again, due `at`, not attempted meanwhile. */
export interface ParkedDelivery {
  deliveryId: string;
  seq: number;
  at: Date;
  parked: number;
}

/**
 * Queues deliveries again for later: a new job number and due time for each still owned by its
 * claim, and `enqueue` its job, in the caller's transaction. The attempt count is unchanged.
 */
export async function parkDeliveries(
  trx: Transaction<Database>,
  parked: ParkedDelivery[],
  enqueue: (trx: Transaction<Database>, jobs: Array<ParkedDelivery>) => Promise<void>,
): Promise<void> {
  if (parked.length === 0) return;
  const moved = await sql<{ id: string }>`
    update webhook_deliveries d set job_seq = d.job_seq + 1, next_attempt_at = r.at, updated_at = now()
    from unnest(${parked.map((p) => p.deliveryId)}::text[], ${parked.map((p) => p.seq)}::int[],
      ${parked.map((p) => p.at.toISOString())}::timestamptz[]) as r(id, seq, at)
    where d.id = r.id and d.job_seq = r.seq and d.status = 'pending'
    returning d.id
  `.execute(trx);
  const owned = new Set(moved.rows.map((r) => r.id));
  await enqueue(
    trx,
    parked.filter((p) => owned.has(p.deliveryId)).map((p) => ({ ...p, seq: p.seq + 1 })),
  );
}

/**
 * The embedded database belongs to this one process (data-dir lock): a claim due now that is
 * still pending was this process's before it stopped without handing it back (a crash). Claimed
 * again at once rather than after staleAfterMs; a new job number makes any job of the old claim a
 * no-op. (On PostgreSQL such claims may be another live instance's: the sweep finds them once
 * they are overdue.)
 */
export async function reclaimAfterCrash(db: Kysely<Database>): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ dispatched: false })
    .where('status', '=', 'pending')
    .where('dispatched', '=', true)
    .where('next_attempt_at', '<=', sql<Date>`now()`)
    .execute();
}

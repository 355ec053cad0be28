/**
 * The database side of claimed deliveries (delivery.ts): what a claim is to send, loading it for
 * a batch of jobs, and handing claims back to the outbox. Every claim carries its delivery's
 * `job_seq` (see delivery.ts): a claim whose number moved on does nothing.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { DeliveryTarget } from './attempt';

/** A claim on a delivery: from the dispatcher, or a job of the queue. */
export interface DeliveryJob {
  deliveryId: string;
  /** The delivery's job_seq when this claim was made (absent in jobs queued before it existed). */
  seq?: number;
}

/** What a claimed delivery's row says about sending it (the claim's RETURNING, or loadTargets' query). */
export interface ClaimedRow {
  id: string;
  job_seq: number;
  clinic_id: string;
  webhook_id: string;
  url: string;
  secret: string;
  webhook_status: string;
  type: string;
  payload: string;
}

/** The target of a claimed row. */
export function targetOf(row: ClaimedRow): DeliveryTarget {
  const { id: deliveryId, job_seq: seq, clinic_id: clinicId, webhook_id: webhookId, url, secret, type, payload } = row;
  return { deliveryId, seq, clinicId, webhookId, url, secret, type, payload };
}

/**
 * The deliveries of a batch of claims that are still to be attempted, in one query. A claim whose
 * delivery is gone (410, unsubscribed), finished, or superseded by a newer claim does nothing;
 * one whose subscription was disabled meanwhile is reported, for its deliveries to be failed.
 */
export async function loadTargets(
  db: Kysely<Database>,
  jobs: DeliveryJob[],
): Promise<{ targets: DeliveryTarget[]; disabledWebhooks: string[] }> {
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
    .where('d.id', '=', (eb) => eb.fn.any(eb.val(jobs.map((j) => j.deliveryId))))
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const targets: DeliveryTarget[] = [];
  const disabled = new Set<string>();
  for (const { deliveryId, seq = 0 } of jobs) {
    const row = byId.get(deliveryId);
    if (row?.status !== 'pending' || row.job_seq !== seq) continue;
    if (row.webhook_status !== 'active') disabled.add(row.webhook_id);
    else targets.push(targetOf(row));
  }
  return { targets, disabledWebhooks: [...disabled] };
}

/**
 * Hands claimed deliveries back to the outbox (undispatched, due as they were), unless a newer
 * claim owns them: the next claim takes them, fairly, once their clinic has room.
 */
export async function releaseUnstarted(db: Kysely<Database>, jobs: DeliveryJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await sql`
    update webhook_deliveries d set dispatched = false
    from unnest(${jobs.map((j) => j.deliveryId)}::text[], ${jobs.map((j) => j.seq ?? 0)}::int[]) as r(id, seq)
    where d.id = r.id and d.job_seq = r.seq and d.status = 'pending'
  `.execute(db);
}

/** Rows moved into a pause per statement, and the rest between them (on PGlite, the server's thread's). */
const PAUSE_BATCH = 100;
const PAUSE_REST_MS = 20;

/**
 * Pauses subscriptions whose destination's circuit opened, until `until`: their new deliveries
 * are written due then (outbox.ts), and the ones already waiting in the outbox are moved there,
 * spread over the pause (plus a random part of it), in small batches with a rest between them: a
 * backlog of thousands is a second's background work, never a burst that holds up everyone
 * else's statements (its clinic is held meanwhile: pauser.ts). Nothing is attempted or counted.
 */
export async function pauseSubscriptions(
  db: Kysely<Database>,
  subscriptions: { clinicIds: string[]; webhookIds: string[] },
  until: Date,
): Promise<void> {
  const { clinicIds, webhookIds } = subscriptions;
  if (webhookIds.length === 0) return;
  // The subscriptions are locked in id order, as outcome.ts locks them: in scan order, two writers
  // locking overlapping sets could each wait for the other (a deadlock seen on PostgreSQL).
  await sql`
    update webhooks set paused_until = ${until}::timestamptz
    where id in (
      select id from webhooks
      where id = any(${webhookIds}::uuid[]) and (paused_until is null or paused_until < ${until}::timestamptz)
      order by id for no key update
    )`.execute(db);
  for (;;) {
    const moved = await sql`
      update webhook_deliveries d set next_attempt_at = ${until}::timestamptz + (${until}::timestamptz - now()) * random()
      where d.ctid = any(array(
        select ctid from webhook_deliveries
        where clinic_id = any(${clinicIds}::uuid[]) and not dispatched and status = 'pending' and next_attempt_at < ${until}
          and webhook_id = any(${webhookIds}::uuid[])
        limit ${PAUSE_BATCH}
      ))`.execute(db);
    if (Number(moved.numAffectedRows ?? 0) < PAUSE_BATCH) return;
    await new Promise((resolve) => setTimeout(resolve, PAUSE_REST_MS));
  }
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

/**
 * Issue 20 (the PostgreSQL fan-out drain): fewer index entries and row locks per delivery. A
 * delivery's row is written three times (queued, claimed, finished), and none of those updates can
 * be HOT (each changes a column an index or its predicate reads), so every version adds an entry
 * to every index of the table: the index count is paid three times per delivery.
 * - `unique (webhook_id, event_id)` becomes `unique (event_id, webhook_id)`, and the index on
 *   `event_id` alone goes: the same guarantee (one delivery per event and subscription), and the
 *   event's lookups (its deliveries cascade with it; the retention sweep asks whether it has any)
 *   read the new index's first column. Reads by subscription keep `webhook_deliveries_webhook`.
 *   Three index entries fewer per delivery.
 * - The foreign key from a delivery to its clinic goes: every delivery row checked it, a `KEY SHARE`
 *   lock on the one `clinics` row that every write of the clinic locks and updates (its data version)
 *   at the same time. A delivery already goes with its clinic: it cascades from its subscription and
 *   from its event, both of which cascade from the clinic; and its `clinic_id` is copied from its
 *   subscription by the statement that writes it (webhooks/outbox.ts and the booking functions).
 */
import type { Kysely } from 'kysely';
import { runStatements } from './run-statements';

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    alter table webhook_deliveries add constraint webhook_deliveries_event_webhook unique (event_id, webhook_id);
    alter table webhook_deliveries drop constraint webhook_deliveries_webhook_id_event_id_key;
    drop index webhook_deliveries_event;
    alter table webhook_deliveries drop constraint webhook_deliveries_clinic_id_fkey
  `,
  );
}

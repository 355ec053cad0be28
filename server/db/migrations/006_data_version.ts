/**
 * `clinics.data_version` (issue 12): moves whenever a clinic's appointments, calendar blocks or
 * leads change, whoever changes them (API, dashboard, worker, plain SQL). The key statement returns
 * it with every authenticated request, so an instance can answer a repeated list or availability
 * search from memory and know, at no extra round trip, when its copy is stale
 * (server/http/page-cache.ts).
 *
 * The triggers are deferred constraint triggers: they run at COMMIT, in the writing transaction,
 * so the new rows and the new version become visible together, and the clinic row is locked only
 * for the commit itself rather than for the rest of the transaction (bookings of one clinic do
 * not queue behind each other's event recording). A transaction bumps each clinic once, however
 * many rows it writes (a transaction-local setting remembers which it has bumped).
 */
import { sql, type Kysely } from 'kysely';

const STATEMENTS = [
  `alter table clinics add column data_version bigint not null default 0`,
  `create function qb_bump_data_version(clinic uuid) returns void language plpgsql as $$
   declare
     bumped text := coalesce(current_setting('qb.data_version_bumped', true), '');
   begin
     if clinic is null or strpos(bumped, clinic::text) > 0 then
       return;
     end if;
     update clinics set data_version = data_version + 1 where id = clinic;
     perform set_config('qb.data_version_bumped', bumped || clinic::text || ',', true);
   end $$`,
  `create function qb_clinic_data_changed() returns trigger language plpgsql as $$
   begin
     if tg_op <> 'INSERT' then
       perform qb_bump_data_version(old.clinic_id);
     end if;
     if tg_op <> 'DELETE' then
       perform qb_bump_data_version(new.clinic_id);
     end if;
     return null;
   end $$`,
  `create constraint trigger appointments_data_version after insert or update or delete on appointments
   deferrable initially deferred for each row execute function qb_clinic_data_changed()`,
  `create constraint trigger calendar_blocks_data_version after insert or update or delete on calendar_blocks
   deferrable initially deferred for each row execute function qb_clinic_data_changed()`,
  `create constraint trigger leads_data_version after insert or update or delete on leads
   deferrable initially deferred for each row execute function qb_clinic_data_changed()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}

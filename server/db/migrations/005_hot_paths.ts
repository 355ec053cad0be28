/**
 * The hot paths (issue 12):
 * - `rate_limits` is UNLOGGED: its state lives one minute, so writing it to the WAL (and waiting
 *   for that at every commit of an authenticated request) buys nothing. A transaction that writes
 *   only unlogged tables commits without a WAL flush. After a crash the table is empty: at most
 *   one minute of budget is forgiven.
 * - `clinics.calendar_version` changes whenever what the booking engine reads of a clinic changes
 *   (time zone, slot length, opening hours), whoever writes it (API, dashboard, plain SQL). The
 *   key lookup returns it with every authenticated request, so each server instance can keep the
 *   calendar in memory and know, at no extra round trip, when its copy is stale.
 */
import { sql, type Kysely } from 'kysely';

const STATEMENTS = [
  `alter table rate_limits set unlogged`,
  `alter table clinics add column calendar_version bigint not null default 0`,
  `create function qb_clinic_calendar_version() returns trigger language plpgsql as $$
   begin
     if new.timezone is distinct from old.timezone or new.slot_minutes is distinct from old.slot_minutes then
       new.calendar_version := old.calendar_version + 1;
     end if;
     return new;
   end $$`,
  `create trigger clinics_calendar_version before update on clinics
   for each row execute function qb_clinic_calendar_version()`,
  `create function qb_opening_hours_changed() returns trigger language plpgsql as $$
   begin
     if tg_op <> 'INSERT' then
       update clinics set calendar_version = calendar_version + 1 where id = old.clinic_id;
     end if;
     if tg_op <> 'DELETE' then
       update clinics set calendar_version = calendar_version + 1 where id = new.clinic_id;
     end if;
     return null;
   end $$`,
  `create trigger opening_hours_calendar_version after insert or update or delete on opening_hours
   for each row execute function qb_opening_hours_changed()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}

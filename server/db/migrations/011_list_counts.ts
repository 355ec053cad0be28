/**
 * Issue 20: a list page whose cost does not grow with the clinic.
 *
 * - `record_counts`: how many appointments (per status), leads (all: status '') and campaign
 *   contacts (per status) each clinic holds, kept by the database, so `meta.total` of an
 *   unfiltered or status-filtered list is one or a few rows instead of a `count(*)` of the clinic.
 *   The counts move in the deferred trigger of migration 006 (`qb_clinic_data_changed`, now also
 *   on campaign_contacts), at the commit of the writing transaction: the rows and their count
 *   become visible together, so a list statement (one snapshot) sees a total that matches its
 *   rows, and no writer holds a count row for longer than its commit. Each writing transaction
 *   locks its clinic's row first (the `data_version` bump), so the count rows of a clinic are
 *   only ever written by one transaction at a time (no deadlock between count rows, whatever
 *   order a transaction's rows come in).
 * - Indexes for the filtered lists the app sends (the polling triggers' `status`, the contacts'
 *   `status` and `campaign_id`), in the list's order, so a filtered page (and a cursor page) reads
 *   its rows in order instead of skipping the clinic's; and a lead's appointments (Find
 *   Appointment's `lead_id`, the dashboard's lead page, a lead's deletion) found by `lead_id`.
 * - The calendar trigger of `clinics` fires only on updates of the time zone or slot length.
 */
import { sql, type Kysely } from 'kysely';

/**
 * Moves one count: `qb_count_record(table, clinic, status, +1/-1)`. PL/pgSQL, so its statements
 * are planned once per connection; an update first (the row nearly always exists: cheaper than an
 * upsert's speculative insert), the first record of a kind and status inserts it. A clinic deleted
 * in the same transaction (its counts went with it) is not counted again.
 */
const COUNT_RECORD = `create function qb_count_record(counted text, clinic uuid, counted_status text, delta int) returns void
  language plpgsql as $$
  begin
    update record_counts set n = n + delta where clinic_id = clinic and kind = counted and status = counted_status;
    if not found then
      insert into record_counts (clinic_id, kind, status, n)
      select clinic, counted, counted_status, delta where exists (select from clinics where id = clinic)
      on conflict (clinic_id, kind, status) do update set n = record_counts.n + excluded.n;
    end if;
  end $$`;

/**
 * Migration 006's trigger function, now also counting: appointments and contacts by status,
 * leads by clinic only (a lead's status changes with every booking; counting it would cost each
 * booking another row). Only a change of clinic or counted status moves a count. The clinic is
 * bumped first (its row stays locked to the commit's end), then counted.
 */
const DATA_CHANGED = `create or replace function qb_clinic_data_changed() returns trigger language plpgsql as $$
  declare
    counted boolean := tg_table_name in ('appointments', 'leads', 'campaign_contacts');
    old_status text;
    new_status text;
  begin
    if tg_op <> 'INSERT' then
      perform qb_bump_data_version(old.clinic_id);
    end if;
    if tg_op <> 'DELETE' then
      perform qb_bump_data_version(new.clinic_id);
    end if;
    if not counted then
      return null;
    end if;
    if tg_op <> 'INSERT' then
      old_status := case when tg_table_name = 'leads' then '' else old.status end;
    end if;
    if tg_op <> 'DELETE' then
      new_status := case when tg_table_name = 'leads' then '' else new.status end;
    end if;
    if tg_op = 'UPDATE' and old.clinic_id = new.clinic_id and old_status = new_status then
      return null;
    end if;
    if tg_op <> 'INSERT' then
      perform qb_count_record(tg_table_name, old.clinic_id, old_status, -1);
    end if;
    if tg_op <> 'DELETE' then
      perform qb_count_record(tg_table_name, new.clinic_id, new_status, 1);
    end if;
    return null;
  end $$`;

const STATEMENTS = [
  `create table record_counts (
     clinic_id uuid not null references clinics(id) on delete cascade,
     kind text not null,
     status text not null,
     n bigint not null,
     primary key (clinic_id, kind, status)
   )`,
  COUNT_RECORD,
  DATA_CHANGED,
  `create constraint trigger campaign_contacts_data_version after insert or update or delete on campaign_contacts
   deferrable initially deferred for each row execute function qb_clinic_data_changed()`,
  `insert into record_counts (clinic_id, kind, status, n)
   select clinic_id, 'appointments', status, count(*) from appointments group by clinic_id, status
   union all
   select clinic_id, 'leads', '', count(*) from leads group by clinic_id
   union all
   select clinic_id, 'campaign_contacts', status, count(*) from campaign_contacts group by clinic_id, status`,
  `create index appointments_clinic_status_created on appointments (clinic_id, status, created_at desc, id desc)`,
  `create index appointments_lead on appointments (lead_id)`,
  `create index campaign_contacts_clinic_status on campaign_contacts (clinic_id, status, updated_at desc, id desc)`,
  `create index campaign_contacts_campaign_updated on campaign_contacts (campaign_id, updated_at desc, id desc)`,
  `drop index campaign_contacts_campaign`,
  // The calendar trigger (migration 005) only where the calendar can change: not on every
  // data_version bump at a booking's commit.
  `drop trigger clinics_calendar_version on clinics`,
  `create trigger clinics_calendar_version before update of timezone, slot_minutes on clinics
   for each row execute function qb_clinic_calendar_version()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}

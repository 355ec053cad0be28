/**
 * Issue 20, round 11 (the list, a new URL every request): a page's JSON is written from text the
 * writes stored. Rendering a page's 26 rows cost PostgreSQL 300-360 µs (five instants through
 * to_char, the name split, a JSON string per field, row_to_json over 17 fields) against ~25 µs to
 * read them, on every request; the same fields change only when their row is written. So each row
 * keeps its part of toAppointment()'s JSON, written by a BEFORE trigger whenever one of the
 * columns it is made of is inserted or set (every write path, fixtures and seeds included, without
 * any of them knowing; a write of other columns does not fire it), except the booking statement's
 * insert, which writes its own (withStoredJson below):
 * - `leads.contact_json`: `"lead_full_name":…,"lead_first_name":…,"lead_last_name":…,
 *   "lead_phone":…,"lead_email":…` (from full_name, phone, email). The booking's `update leads set
 *   status` does not fire it. A lead's change rewrites its own row only, never its appointments;
 * - `appointments.tail_json`: `"status":…,"scheduled_at":…,"ends_at":…,"title":…,"notes":…,
 *   "created_at":…,"updated_at":…,"cancelled_at":…` (instants as iso() writes them).
 * The agent's name (agents can be renamed) and the ids stay read and written per page
 * (services/appointment-json.ts): one to_json of a short text and uuid outputs, cheap beside the
 * rest. Both columns are `not null`: a write the triggers missed would fail, not list wrong text.
 * Byte for byte what JSON.stringify(toAppointment(row)) writes, after every kind of write, on
 * both backends (test/appointment-json.test.ts). Existing rows are filled here (without queueing
 * the data-version triggers: no value the API shows changes).
 */
import { type Kysely, sql } from 'kysely';
import { isoTextSql } from './007_book_appointment';
import { APPOINTMENT_JSON } from './008_names_and_idempotency';
import { ANSWER, BOOKING, bookAppointmentSql, WITH_EVENTS } from './019_booking_lookups';
import { bookAppointmentsSql } from './021_booking_group_inline';

type Field = [key: string, column: string, kind: 'text' | 'instant'];

/** `"key":value,...` of a row's fields as JSON.stringify writes them (no braces: a fragment). */
function fragmentSql(fields: Field[]): string {
  return fields
    .map(([key, column, kind], i) => {
      const value = kind === 'instant' ? `'"' || ${isoTextSql(column)} || '"'` : `to_json(${column})::text`;
      return `'${i === 0 ? '' : ','}${JSON.stringify(key)}:' || coalesce(${value}, 'null')`;
    })
    .join(' || ');
}

/** toAppointment()'s lead fields, from a lead row `r`. */
export const leadContactFields = (r: string): Field[] => [
  ['lead_full_name', `${r}.full_name`, 'text'],
  ['lead_first_name', `qb_first_name(${r}.full_name)`, 'text'],
  ['lead_last_name', `qb_last_name(${r}.full_name)`, 'text'],
  ['lead_phone', `${r}.phone`, 'text'],
  ['lead_email', `${r}.email`, 'text'],
];

/** toAppointment()'s fields from status on, from an appointment row `r`. */
export const appointmentTailFields = (r: string): Field[] => [
  ['status', `${r}.status`, 'text'],
  ['scheduled_at', `${r}.scheduled_at`, 'instant'],
  ['ends_at', `${r}.ends_at`, 'instant'],
  ['title', `${r}.title`, 'text'],
  ['notes', `${r}.notes`, 'text'],
  ['created_at', `${r}.created_at`, 'instant'],
  ['updated_at', `${r}.updated_at`, 'instant'],
  ['cancelled_at', `${r}.cancelled_at`, 'instant'],
];

/** Replaces `from` (which must be there) in a statement's text. */
function swap(statement: string, from: string, to: string): string {
  if (!statement.includes(from)) throw new Error(`migration 023: the booking statement has no "${from.slice(0, 60)}"`);
  return statement.replace(from, () => to); // a function: `to` holds `$n` texts, never replacement patterns
}

/**
 * A new appointment's `tail_json`, from the booking's values (instants and texts as SQL): a new
 * appointment is confirmed, created and updated now, not cancelled.
 */
export function bookedTailSql(v: { scheduledAt: string; endsAt: string; title: string; notes: string }): string {
  const given: Record<string, string> = {
    status: `'confirmed'::text`,
    scheduled_at: v.scheduledAt,
    ends_at: v.endsAt,
    title: v.title,
    notes: v.notes,
    created_at: 'now()',
    updated_at: 'now()',
    cancelled_at: 'null::timestamptz',
  };
  return fragmentSql(appointmentTailFields('r').map(([key, , kind]) => [key, given[key] as string, kind]));
}

/**
 * An appointment's JSON from its row `a` (with `tail_json`) and its lead's row `l` (with
 * `contact_json`), as a list page writes it (services/appointment-json.ts); `publicUrl`: the
 * server's public URL as SQL text.
 */
export const storedAppointmentJsonSql = (publicUrl: string) => `'{"id":"' || a.id || '","lead_id":"' || a.lead_id || '",' || l.contact_json
        || ',"assigned_to":' || coalesce('"' || a.assigned_to || '"', 'null')
        || ',"assigned_to_name":' || coalesce(to_json((select name from agents where id = a.assigned_to))::text, 'null')
        || ',' || a.tail_json || ',"url":' || to_json(${publicUrl} || '/dashboard/appointments/' || a.id)::text || '}'`;

/**
 * The booking statement (migrations 019 and 021) with the stored parts: it writes its appointment's
 * `tail_json` itself, from its values, so the insert trigger, which only fills a row inserted
 * without it, does not run; and its answer (the appointment's JSON, also its event's) is made of
 * the row's `tail_json` and the lead's `contact_json`, as a list page is, instead of formatting
 * every field a second time. Through the trigger, a booking cost PostgreSQL about 40 µs more CPU
 * (median of 9 POST profiles each; written here, the same as before): BENCHMARKS.md, round 11.
 * Migration 024's one-statement group writes the same two.
 */
export function withStoredJson(statement: string): string {
  const columns = 'insert into appointments (id, clinic_id, lead_id, assigned_to, scheduled_at, ends_at, title, notes)';
  const values = 'select $15::uuid, $1::uuid, lead.id, $3::uuid, $4::timestamptz, $5::timestamptz, $6::text, $7::text';
  const tail = bookedTailSql({ scheduledAt: '$4::timestamptz', endsAt: '$5::timestamptz', title: '$6::text', notes: '$7::text' });
  let text = swap(statement, columns, columns.replace('notes)', 'notes, tail_json)'));
  text = swap(text, values, `${values}, ${tail}`);
  text = swap(
    text,
    'select id, full_name, phone, email, status from leads',
    'select id, full_name, phone, email, status, contact_json from leads',
  );
  return swap(
    text,
    `select ${APPOINTMENT_JSON} as json from ins a, lead l`,
    `select ${storedAppointmentJsonSql('$14::text')} as json from ins a, lead l`,
  );
}

const STATEMENTS = [
  `alter table leads add column contact_json text`,
  `alter table appointments add column tail_json text`,
  // One PL/pgSQL simple expression each: no SPI statement per row.
  `create function qb_lead_contact_json() returns trigger language plpgsql as $fn$
   begin
     new.contact_json := ${fragmentSql(leadContactFields('new'))};
     return new;
   end $fn$`,
  `create function qb_appointment_tail_json() returns trigger language plpgsql as $fn$
   begin
     new.tail_json := ${fragmentSql(appointmentTailFields('new'))};
     return new;
   end $fn$`,
  `create trigger leads_contact_json before insert or update of full_name, phone, email on leads
   for each row execute function qb_lead_contact_json()`,
  `create trigger appointments_tail_json before insert on appointments
   for each row when (new.tail_json is null) execute function qb_appointment_tail_json()`,
  `create trigger appointments_tail_json_update
   before update of status, scheduled_at, ends_at, title, notes, created_at, updated_at, cancelled_at on appointments
   for each row execute function qb_appointment_tail_json()`,
  bookAppointmentSql(withStoredJson(BOOKING), withStoredJson(WITH_EVENTS), ANSWER).replace('create function', 'create or replace function'),
  bookAppointmentsSql(withStoredJson(BOOKING), withStoredJson(WITH_EVENTS), ANSWER),
  // The backfill: the data-version triggers skip rows written while this setting is on (migration
  // 021). Set for the session and cleared after: the same whether or not the migration is a transaction.
  `select set_config('qb.booking_group', 'on', false)`,
  `update leads r set contact_json = ${fragmentSql(leadContactFields('r'))}`,
  `update appointments r set tail_json = ${fragmentSql(appointmentTailFields('r'))}`,
  `select set_config('qb.booking_group', '', false)`,
  `alter table leads alter column contact_json set not null`,
  `alter table appointments alter column tail_json set not null`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) await sql.raw(statement).execute(db);
}

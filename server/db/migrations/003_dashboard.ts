/** Dashboard sign-in: server-side sessions and the failed-sign-in log that rate-limits logins. */
import type { Kysely } from 'kysely';
import { runStatements } from './run-statements';

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    create table dashboard_sessions (
      -- SHA-256 of the cookie value: a copy of the table does not let anyone sign in
      id text primary key,
      user_id uuid not null references users(id) on delete cascade,
      csrf_token text not null,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      expires_at timestamptz not null
    );
    create index dashboard_sessions_user on dashboard_sessions (user_id);
    create index dashboard_sessions_expiry on dashboard_sessions (expires_at);

    create table dashboard_login_failures (
      id uuid primary key default gen_random_uuid(),
      email text not null,
      ip text not null,
      attempted_at timestamptz not null default now()
    );
    create index dashboard_login_failures_email on dashboard_login_failures (email, attempted_at);
    create index dashboard_login_failures_ip on dashboard_login_failures (ip, attempted_at)
  `,
  );
}

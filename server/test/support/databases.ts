/**
 * Test databases on both backends: PGlite in memory, and a fresh database per call on the
 * PostgreSQL server that jest's global setup started (QB_TEST_PG_URL).
 */
import { randomBytes } from 'node:crypto';
import { connectDatabase, type DatabaseHandle } from '../../db/connect';

export type Backend = 'pglite' | 'postgres';

/** The backends this run covers: both unless QB_TEST_BACKENDS narrows it. */
export function backends(): Backend[] {
  const only = process.env.QB_TEST_BACKENDS;
  if (only === 'pglite' || only === 'postgres') return [only];
  return ['pglite', 'postgres'];
}

export async function createPostgresDatabase(): Promise<string> {
  const adminUrl = process.env.QB_TEST_PG_URL;
  if (!adminUrl) throw new Error('QB_TEST_PG_URL is not set: run through jest (global setup starts PostgreSQL)');
  const { Client } = await import('pg');
  const name = `qb_test_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function openTestDatabase(backend: Backend): Promise<DatabaseHandle> {
  if (backend === 'pglite') return connectDatabase({ dataDir: 'memory' });
  return connectDatabase({ databaseUrl: await createPostgresDatabase() });
}

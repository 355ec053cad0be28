// Starts one PostgreSQL server for the whole jest run; each test file makes its own database.
import { startPostgres } from '../../scripts/postgres-server.mjs';

export default async function globalSetup() {
  if (process.env.QB_TEST_BACKENDS === 'pglite' || process.env.QB_TEST_PG_URL) return;
  const server = await startPostgres();
  globalThis.__qbPostgres = server;
  process.env.QB_TEST_PG_URL = server.url();
}

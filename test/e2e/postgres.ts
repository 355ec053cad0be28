/** Drives test/e2e/postgres-process.mjs: a PostgreSQL server the outage test can stop and start. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface ControlledPostgres {
  /** The admin connection string (database `postgres`). */
  url: string;
  /** Stops PostgreSQL (a fast shutdown: open connections are ended), keeping its data. */
  pause(): Promise<void>;
  /** Starts it again on the same data. */
  resume(): Promise<void>;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
}

export async function startControlledPostgres(): Promise<ControlledPostgres> {
  const child = spawn(process.execPath, [path.join(__dirname, 'postgres-process.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const answer = async (expected: string) => {
    const { value, done } = await lines.next();
    if (done || !String(value).startsWith(expected))
      throw new Error(`PostgreSQL child answered ${done ? 'nothing' : value}, not ${expected}`);
    return String(value);
  };
  const url = (await answer('ready ')).slice('ready '.length);
  const command = async (name: string, expected: string) => {
    child.stdin!.write(`${name}\n`);
    await answer(expected);
  };
  return {
    url,
    pause: () => command('pause', 'paused'),
    resume: () => command('resume', 'resumed'),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.write('stop\n');
      await exited;
    },
  };
}

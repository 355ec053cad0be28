/**
 * The reference server and the webhook worker as real child processes (`npm start`,
 * `npm run worker`), for crash and multi-process tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '../../..'); // the repository root (npm start runs there)
const TSX_LOADER = ['--import', 'tsx'];

export interface Child {
  process: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

export interface ServerChild extends Child {
  url: string;
}

/** What the tests' servers need: dev tools, local webhook receivers, room for 401 tests. */
export const TEST_SWITCHES = { QB_DEV_TOOLS: '1', QB_ALLOW_PRIVATE_WEBHOOKS: '1', QB_FAILED_AUTH_LIMIT: '100000' };

/** Spawns `program args` in its own process group, collecting its output. */
function spawnCommand(program: string, args: string[], env: Record<string, string | undefined>): Child {
  const child = spawn(program, args, {
    cwd: ROOT,
    detached: true, // its own process group, so SIGKILL reaches anything it started too
    env: { ...process.env, LOG_LEVEL: 'warn', ...TEST_SWITCHES, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { process: child, output: () => output, exited };
}

/** Spawns `node --import tsx <entry>` in its own process group. */
export function spawnEntry(entry: string, env: Record<string, string | undefined>): Child {
  return spawnCommand(process.execPath, [...TSX_LOADER, entry], env);
}

/**
 * Spawns exactly what `npm run <script>` runs (the command in package.json, without npm around
 * it), so signal handling is tested on the real process tree.
 */
export function spawnScript(script: 'start' | 'worker', env: Record<string, string | undefined>): Child {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [program, ...args] = pkg.scripts[script]!.trim().split(/\s+/);
  return spawnCommand(program === 'node' ? process.execPath : path.join(ROOT, 'node_modules/.bin', program!), args, env);
}

/** Starts the server as `npm start` does (package.json's command), and waits for it to listen. */
export async function startServerProcess(env: Record<string, string | undefined>): Promise<ServerChild> {
  const child = spawnScript('start', { PORT: '0', ...env });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${child.output()}`)), 60_000);
    const onData = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(child.output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.process.stdout!.on('data', onData);
    void child.exited.then((code) => reject(new Error(`server exited with ${code}:\n${child.output()}`)));
  });
  return { ...child, url };
}

/** SIGKILLs the process group and waits for the process to be gone. */
export async function kill(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  try {
    process.kill(-child.process.pid!, 'SIGKILL');
  } catch {
    child.process.kill('SIGKILL'); // the group is gone already; make sure the leader is too
  }
  await child.exited;
}

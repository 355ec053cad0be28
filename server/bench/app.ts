/**
 * Item 5 of `npm run bench`: the Zapier app as `zapier-platform build --skip-dep-install` zips it: the size of
 * build/build.zip, and the cold load of its entry (index.js from the unzipped zip, required in a
 * fresh Node process) against the cold load of zapier-platform-core alone from the same unzipped
 * copy, the floor every Zapier app pays.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface AppFigures {
  rows: { name: string; value: number; unit: string; baseline: number }[];
  notes: string[];
}

/** Time to require `what` from `dir` in a fresh Node process, in ms. */
function coldRequireOnce(node: string, dir: string, what: string): number {
  const code = `const t = process.hrtime.bigint(); require(${JSON.stringify(what)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  return Number(execFileSync(node, ['-e', code], { cwd: dir, encoding: 'utf8', timeout: 60_000 }));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('no timings: runs must be at least 1');
  return middle;
};

/**
 * Medians over `runs` fresh processes of requiring `a` and `b`, taken in alternation (a, b, a,
 * b, ...) so that a change in the machine's load during the measurement weighs on both alike
 * (seven of one then seven of the other let a busy moment land on one side only).
 */
function coldRequirePair(node: string, dir: string, a: string, b: string, runs = 9): [number, number] {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    times[0].push(coldRequireOnce(node, dir, a));
    times[1].push(coldRequireOnce(node, dir, b));
  }
  return [median(times[0]), median(times[1])];
}

export async function measureApp(root: string, tmp: string, log: (m: string) => void): Promise<AppFigures> {
  const cli = path.join(root, 'node_modules/.bin/zapier-platform');
  if (!fs.existsSync(path.join(root, 'index.ts')) || !fs.existsSync(cli)) {
    log('  the app (index.ts and the Zapier CLI) is not in the repository: the app row is left out');
    return {
      rows: [],
      notes: ['The Zapier app row was left out: index.ts or zapier-platform-cli was not in the repository when this run started.'],
    };
  }
  const notes: string[] = [];
  // The maintainers' build (README): Zapier's CLI zips what the app requires, from this checkout.
  const buildArgs = ['build', '--skip-dep-install', '--skip-validation'];
  log(`  zapier-platform ${buildArgs.join(' ')}`);
  const started = Date.now();
  const offline = { ...process.env, DISABLE_ZAPIER_ANALYTICS: '1', NO_UPDATE_NOTIFIER: '1', CI: '1' };
  execFileSync(cli, buildArgs, { cwd: root, stdio: 'ignore', timeout: 600_000, env: offline });
  const buildSeconds = (Date.now() - started) / 1000;
  const zip = path.join(root, 'build/build.zip');
  const zipKiB = fs.statSync(zip).size / 1024;
  notes.push(`\`zapier-platform ${buildArgs.join(' ')}\` took ${buildSeconds.toFixed(1)} s; build/build.zip is ${zipKiB.toFixed(1)} KiB.`);
  const unzipped = path.join(tmp, 'app-unzipped');
  fs.mkdirSync(unzipped, { recursive: true });
  execFileSync('unzip', ['-q', '-o', zip, '-d', unzipped]);
  const [app, core] = coldRequirePair(process.execPath, unzipped, './index.js', 'zapier-platform-core');
  return {
    rows: [
      {
        name: 'app: cold load of build.zip index.js in a fresh Node process (vs zapier-platform-core alone)',
        value: app,
        unit: 'ms',
        baseline: core,
      },
    ],
    notes,
  };
}

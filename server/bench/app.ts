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

/** Median over `runs` fresh processes of the time to require `what` from `dir`, in ms. */
function coldRequire(node: string, dir: string, what: string, runs = 7): number {
  const code = `const t = process.hrtime.bigint(); require(${JSON.stringify(what)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const times = Array.from({ length: runs }, () =>
    Number(execFileSync(node, ['-e', code], { cwd: dir, encoding: 'utf8', timeout: 60_000 })),
  );
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  if (median === undefined) throw new Error(`no timing of require(${JSON.stringify(what)}): runs must be at least 1`);
  return median;
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
  const app = coldRequire(process.execPath, unzipped, './index.js');
  const core = coldRequire(process.execPath, unzipped, 'zapier-platform-core');
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

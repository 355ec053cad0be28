/**
 * `zapier-platform validate --without-style`, offline (the style checks are Zapier's servers';
 * test/ship runs them against a stand-in): the CLI runs the `_zapier-build` script (`npm run
 * build`, the app alone into dist/), then loads the app the way it loads any app, through
 * package.json "main": the root index.js that Zapier's wrapper requires, which loads dist/.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const offline = { ...process.env, DISABLE_ZAPIER_ANALYTICS: '1', NO_UPDATE_NOTIFIER: '1', CI: '1' };

describe('zapier-platform validate --without-style', () => {
  it('builds the app first, finds it through package.json "main" and reports no structural errors', async () => {
    const cli = require.resolve('zapier-platform-cli/src/bin/run');
    const { stdout } = await run(process.execPath, [cli, 'validate', '--without-style'], { cwd: ROOT, env: offline });
    expect(stdout).toContain('No structural errors found during validation routine.');
    expect(stdout).toContain('This project is structurally sound!');

    const pkg = require(path.join(ROOT, 'package.json')) as { main: string; version: string };
    expect(pkg.main).toBe('index.js');
    const loaded = require(path.join(ROOT, pkg.main)) as { version: string; triggers: object };
    expect(loaded.version).toBe(pkg.version);
    expect(fs.existsSync(path.join(ROOT, 'dist/index.js'))).toBe(true);
  }, 180_000);
});

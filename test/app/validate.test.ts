/**
 * `zapier-platform validate --without-style` on the compiled app, offline: compiles the app alone
 * (tsconfig.app.json, into dist/ like `npm run build`), then lets the CLI load it the way it loads
 * any app, through package.json "main" (dist/index.js).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const offline = { ...process.env, DISABLE_ZAPIER_ANALYTICS: '1', NO_UPDATE_NOTIFIER: '1', CI: '1' };

describe('zapier-platform validate --without-style', () => {
  beforeAll(async () => {
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.app.json'], { cwd: ROOT });
  }, 120_000);

  it('finds the compiled app through package.json "main" and reports no structural errors', async () => {
    const pkg = require(path.join(ROOT, 'package.json')) as { main: string };
    expect(pkg.main).toBe('dist/index.js');
    const loaded = require(path.join(ROOT, pkg.main)) as { version: string; triggers: object };
    expect(loaded.version).toBe(require(path.join(ROOT, 'package.json')).version);

    const cli = require.resolve('zapier-platform-cli/src/bin/run');
    const { stdout } = await run(process.execPath, [cli, 'validate', '--without-style'], { cwd: ROOT, env: offline });
    expect(stdout).toContain('No structural errors found during validation routine.');
    expect(stdout).toContain('This project is structurally sound!');
  }, 120_000);
});

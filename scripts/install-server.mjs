#!/usr/bin/env node
/**
 * The root package's `postinstall`: installs the reference server's own package (server/), so
 * that the README's one `npm install` (or `npm ci`) sets up everything.
 *
 * Why a script: the root package is the Zapier app, and Zapier's CLI copies the root with its
 * node_modules into every build, so the server's packages (embedded PostgreSQL, Chromium, the
 * server stack) must live in server/node_modules. npm workspaces would hoist them into the root
 * node_modules, and npm has no setting that installs a nested package in place of its own.
 *
 * - `npm ci` at the root runs `npm ci` in server/ (its own lockfile), `npm install` runs
 *   `npm install` there.
 * - Installs that leave out dev dependencies (`npm install --production`, `--omit=dev`: what the
 *   Zapier CLI runs in its build copy) skip the server: the app never loads it.
 * - QB_SKIP_SERVER_INSTALL=1 skips it too (an app-only checkout).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const serverDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'server');
const env = process.env;
const omitted = `${env.npm_config_omit ?? ''}`.split(/[\s,]+/);
const production = env.npm_config_production === 'true' || omitted.includes('dev') || env.NODE_ENV === 'production';

if (env.QB_SKIP_SERVER_INSTALL === '1' || production) {
  console.log('[install] skipping the reference server (server/): production or app-only install');
  process.exit(0);
}

const command = env.npm_command === 'ci' ? 'ci' : 'install';
console.log(`[install] installing the reference server's packages: npm ${command} in server/`);
const npmCli = env.npm_execpath;
const [bin, args] = npmCli ? [process.execPath, [npmCli]] : ['npm', []];
const result = spawnSync(bin, [...args, command, '--no-audit', '--no-fund'], { cwd: serverDir, stdio: 'inherit', env });
if (result.status !== 0) {
  console.error(`[install] npm ${command} in server/ failed (exit ${result.status ?? result.signal}); run it there by hand to see why`);
  process.exit(result.status ?? 1);
}

/**
 * Real headless Chromium for browser tests and the screenshot script, driven by playwright-core.
 * The browser binary comes from @sparticuz/chromium, asked for in a child Node process because
 * that package is ESM-only and jest's CommonJS runtime cannot load it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

const run = promisify(execFile);

export async function launchChromium(): Promise<Browser> {
  const helper = path.join(__dirname, '..', '..', 'scripts', 'chromium-launch-options.mjs');
  const { stdout } = await run(process.execPath, [helper], { timeout: 60_000 });
  const { executablePath, args } = JSON.parse(stdout) as { executablePath: string; args: string[] };
  return chromium.launch({
    executablePath,
    args: [...args, '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    headless: true,
  });
}

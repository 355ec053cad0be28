/** `npm run demo` runs every operation end to end, reports it as JSON, and fails loudly. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import App = require('../../index');

const ROOT = path.join(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

describe('npm run demo', () => {
  it('passes every step against an in-memory server and writes the trace as JSON', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qb-demo-')), 'demo.json');
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.QB_HOST;
    const run = spawnSync(TSX, ['scripts/demo.ts', `--json=${out}`], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/All \d+ steps passed/);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(report.passed).toBe(true);
    const steps: Array<{ step: string; kind: string; ok: boolean; calls: unknown[]; summary: string }> = report.steps;
    expect(steps.every((s) => s.ok)).toBe(true);
    // Seven hook triggers: subscribed, delivered, sampled, unsubscribed.
    for (const kind of ['subscribe', 'deliver', 'sample', 'unsubscribe'])
      expect(steps.filter((s) => s.kind === kind).length).toBeGreaterThanOrEqual(7);
    // Every action and search of the app, and the update triggers' Only When filter both ways.
    const names = steps.map((s) => s.step);
    const operations = [...Object.keys(App.creates ?? {}), ...Object.keys(App.searches ?? {})];
    for (const key of operations) expect(names).toContainEqual(expect.stringMatching(new RegExp(`^${key}: `)));
    expect(names).toEqual(
      expect.arrayContaining([
        'lead_update: Update Lead',
        'lead_updated: Only When "status_changed" → perform',
        'lead_updated: Only When "contact_changed" → perform',
        'appointment_updated: Only When "rescheduled" → perform',
      ]),
    );
    const onlyWhen = steps.filter((s) => s.step.includes('Only When')) as Array<{ summary: string }>;
    expect(onlyWhen.map((s) => s.summary.split(' ')[0])).toEqual(['passed:', 'left', 'passed:', 'left']);
    // A hook's perform makes no HTTP request; every other operation exactly one.
    for (const s of steps.filter((s) => s.kind === 'deliver')) expect(s.calls).toHaveLength(0);
    for (const s of steps.filter((s) => ['subscribe', 'sample', 'unsubscribe', 'create', 'search', 'auth'].includes(s.kind)))
      expect(s.calls).toHaveLength(1);
  });

  it('exits non-zero when a step fails (a server without dev tools cannot host the demo)', () => {
    const env = { ...process.env, NO_COLOR: '1', QB_HOST: 'http://127.0.0.1:9' };
    const run = spawnSync(TSX, ['scripts/demo.ts'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).not.toBe(0);
  });
});

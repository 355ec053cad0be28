/**
 * build/build.zip runs on its own: `npm run zapier:build` builds it (offline), the zip is unzipped
 * into an empty temp dir, and a separate Node process calls the handler Zapier calls
 * (zapierwrapper.js -> index.js) with the authentication test and a trigger's performList,
 * against the real reference server.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { Me } from '../../contract';
import { createApiKey, revokeApiKey } from '../../server/services/api-keys';
import { startTestServer, type TestClinic, type TestServer } from '../support/server';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const ZIP = path.join(ROOT, 'build', 'build.zip');

// The Zapier CLI's own unzip (the one its "Testing build" step uses; keeps symlinks).
const decompress = require('zapier-platform-cli/src/utils/decompress') as (zip: string, dir: string) => Promise<unknown>;

/** Runs one event through the unzipped app's handler in a fresh Node process. */
const MARKER = '@@handler-result@@';
const CALL_HANDLER = `
const { handler } = require('./zapierwrapper.js');
const done = (value) => process.stdout.write('\\n${MARKER}' + JSON.stringify(value));
handler(JSON.parse(process.argv[1])).then(
  (out) => done({ ok: true, results: out.results }),
  (err) => done({ ok: false, name: err.name, message: err.message }),
);`;

describe('build/build.zip', () => {
  let dir: string;
  let srv: TestServer;
  let clinic: TestClinic;
  let host: string;
  let appointment: { id: string };

  beforeAll(async () => {
    fs.rmSync(ZIP, { force: true });
    await run(process.execPath, [path.join(ROOT, 'scripts', 'zapier-build.js')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'qualifybase-zip-test-'));
    await decompress(ZIP, dir);

    srv = await startTestServer('pglite');
    clinic = await srv.clinic('Zip Clinic');
    const lead = await clinic.api.post('/api/v1/leads', { email: 'zip@example.com' });
    const [slot] = (await clinic.api.get('/api/v1/availability?limit=1')).body.data;
    appointment = (await clinic.api.post('/api/v1/appointments', { lead_id: lead.body.id, ...slot })).body;
    host = `${srv.url}/`;
  }, 300_000);

  afterAll(async () => {
    await srv?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const invoke = async (method: string, bundle: object) => {
    // The event's `environment` is how Zapier hands env vars (QB_HOST here) to the app.
    const event = { command: 'execute', method, bundle, environment: { QB_HOST: host } };
    const env = { PATH: process.env.PATH ?? '' }; // no NODE_PATH, no QB_HOST: only the zip's files resolve
    const { stdout } = await run(process.execPath, ['-e', CALL_HANDLER, JSON.stringify(event)], { cwd: dir, env });
    // zapier-platform-core prints its own log lines to stdout outside tests; the result follows the marker.
    const at = stdout.lastIndexOf(MARKER);
    expect(at).toBeGreaterThanOrEqual(0);
    return JSON.parse(stdout.slice(at + MARKER.length)) as { ok: boolean; results?: unknown; name?: string; message?: string };
  };

  it("holds the compiled app, Zapier's entry point and the runtime packages, and nothing else of the project", () => {
    for (const file of ['zapierwrapper.js', 'index.js', 'authentication.js', 'definition.json', 'package.json']) {
      expect(fs.existsSync(path.join(dir, file))).toBe(true);
    }
    expect(fs.readdirSync(path.join(dir, 'triggers')).sort()).toContain('appointment_created.js');
    expect(fs.existsSync(path.join(dir, 'node_modules', 'zapier-platform-core', 'package.json'))).toBe(true);
    for (const absent of ['server', 'test', 'scripts', 'index.ts', 'dist']) {
      expect(fs.existsSync(path.join(dir, absent))).toBe(false);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('index.js');
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['zapier-platform-core', 'zod']);
    expect(pkg.version).toBe(require(path.join(ROOT, 'package.json')).version);
  });

  it('runs the authentication test through the zip handler', async () => {
    const out = await invoke('authentication.test', { authData: { api_key: clinic.api_key } });
    expect(out.ok).toBe(true);
    expect(Me.parse(out.results).clinic).toEqual(clinic.clinic);
  }, 60_000);

  it("runs appointment_created's performList through the zip handler", async () => {
    const out = await invoke('triggers.appointment_created.operation.performList', { authData: { api_key: clinic.api_key }, meta: {} });
    expect(out.ok).toBe(true);
    expect(out.results).toEqual([(await clinic.api.get(`/api/v1/appointments/${appointment.id}`)).body]);
  }, 60_000);

  it('maps a revoked key to ExpiredAuthError inside the zip too', async () => {
    const { key, row } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'to revoke');
    expect((await invoke('authentication.test', { authData: { api_key: key } })).ok).toBe(true);
    await revokeApiKey(srv.running.deps.database.db, clinic.clinic.id, row.id);
    const out = await invoke('authentication.test', { authData: { api_key: key } });
    expect(out.ok).toBe(false);
    expect(out.name).toBe('ExpiredAuthError');
    expect(out.message).toMatch(/invalid or has been revoked/);
  }, 60_000);
});

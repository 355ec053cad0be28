/**
 * build/build.zip runs on its own: `npm run zapier:build` builds it (offline), the zip is unzipped
 * into an empty temp dir, and a separate Node process calls the handler Zapier calls
 * (zapierwrapper.js -> index.js) with the authentication test and a trigger's performList,
 * against a local node:http stub of the API.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { sampleAppointment, sampleMe } from '../../contract/samples';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const ZIP = path.join(ROOT, 'build', 'build.zip');
const KEY = 'qbk_live_zip_test_key';

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
  let server: http.Server;
  let host: string;
  const requests: Array<{ method?: string; url?: string; authorization?: string }> = [];

  beforeAll(async () => {
    fs.rmSync(ZIP, { force: true });
    await run(process.execPath, [path.join(ROOT, 'scripts', 'zapier-build.js')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'qualifybase-zip-test-'));
    await decompress(ZIP, dir);

    server = http.createServer((req, res) => {
      requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
      const url = new URL(req.url ?? '/', 'http://stub');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        return send(401, { error: 'Invalid or revoked API key.', code: 'unauthorized' });
      }
      if (req.method === 'GET' && url.pathname === '/api/v1/me') return send(200, sampleMe);
      if (req.method === 'GET' && url.pathname === '/api/v1/appointments' && url.searchParams.get('status') === 'confirmed') {
        return send(200, { data: [sampleAppointment], meta: { page: 1, per_page: Number(url.searchParams.get('per_page')), total: 1 } });
      }
      return send(404, { error: 'Not found.', code: 'not_found' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }, 300_000);

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
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
    const out = await invoke('authentication.test', { authData: { api_key: KEY } });
    expect(out).toEqual({ ok: true, results: sampleMe });
    expect(requests.at(-1)).toEqual({ method: 'GET', url: '/api/v1/me', authorization: `Bearer ${KEY}` });
  }, 60_000);

  it("runs appointment_created's performList through the zip handler", async () => {
    const out = await invoke('triggers.appointment_created.operation.performList', { authData: { api_key: KEY }, meta: {} });
    expect(out).toEqual({ ok: true, results: [sampleAppointment] });
    expect(requests.at(-1)).toEqual({
      method: 'GET',
      url: '/api/v1/appointments?status=confirmed&per_page=25',
      authorization: `Bearer ${KEY}`,
    });
  }, 60_000);

  it('maps a revoked key to ExpiredAuthError inside the zip too', async () => {
    const out = await invoke('authentication.test', { authData: { api_key: 'qbk_live_revoked' } });
    expect(out.ok).toBe(false);
    expect(out.name).toBe('ExpiredAuthError');
    expect(out.message).toMatch(/invalid or has been revoked/);
  }, 60_000);
});

/**
 * The ship path, run with Zapier's own CLI against a local stand-in of Zapier's platform API
 * (ZAPIER_BASE_ENDPOINT), as a maintainer runs it (README, "Working on the Zapier app"):
 * `register`, `validate` (the schema checks, and the integration checks, which the stand-in
 * answers with our offline definition checks' real result), `push`, `upload`, `promote`, `migrate`.
 * What `push` uploaded is unzipped into an empty directory and its own zapierwrapper.js handler
 * is called in a fresh Node process: it lists every operation, and the authentication test, a
 * trigger and a create run against the real reference server.
 * The last block builds a production-only checkout with the CLI's default build (copy + `npm
 * install --production`), the path a deploy job with a global CLI takes.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { CalendarBlock, Me } from '../../contract';
import { createApiKey, revokeApiKey } from '../../server/services/api-keys';
import { startTestServer, type TestClinic, type TestServer } from '../../server/test/support/server';
import App = require('../../index');
import { DEFINITION_CHECKS } from '../app/publishing-checks';
import { startPlatformStandIn, type PlatformStandIn } from './platform-stand-in';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const CLI = require.resolve('zapier-platform-cli/src/bin/run');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; main: string };
const DEPLOY_KEY = 'ship-test-deploy-key';
const APP_ID = 4242;

// The Zapier CLI's own unzip (the one its "Testing build" step uses; keeps symlinks).
const decompress = require('zapier-platform-cli/src/utils/decompress') as (zip: string, dir: string) => Promise<unknown>;

type HandlerResult = { ok: boolean; results?: any; name?: string; message?: string };

/** Runs one event through an unzipped app's handler in a fresh Node process. */
const MARKER = '@@handler-result@@';
const CALL_HANDLER = `
const { handler } = require('./zapierwrapper.js');
const done = (value) => process.stdout.write('\\n${MARKER}' + JSON.stringify(value));
handler(JSON.parse(process.argv[1])).then(
  (out) => done({ ok: true, results: out.results }),
  (err) => done({ ok: false, name: err.name, message: err.message }),
);`;

async function callHandler(dir: string, event: object): Promise<HandlerResult> {
  const env = { PATH: process.env.PATH ?? '' }; // no NODE_PATH, no QB_HOST: only the zip's files resolve
  const { stdout } = await run(process.execPath, ['-e', CALL_HANDLER, JSON.stringify(event)], { cwd: dir, env });
  // zapier-platform-core prints its own log lines to stdout outside tests; the result follows the marker.
  const at = stdout.lastIndexOf(MARKER);
  if (at < 0) throw new Error(`the handler printed no result:\n${stdout}`);
  return JSON.parse(stdout.slice(at + MARKER.length)) as HandlerResult;
}

/** Every path in a directory, relative to it. */
function listFiles(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
  });
}

const operationKeys = (definition: any) => ({
  triggers: Object.keys(definition.triggers ?? {}).sort(),
  creates: Object.keys(definition.creates ?? {}).sort(),
  searches: Object.keys(definition.searches ?? {}).sort(),
  searchOrCreates: Object.keys(definition.searchOrCreates ?? {}).sort(),
});

describe('shipping with the Zapier CLI (offline, against a stand-in of the platform API)', () => {
  let tmp: string;
  let standIn: PlatformStandIn;
  let env: NodeJS.ProcessEnv;

  const zapier = async (args: string[], cwd = ROOT, extraEnv: NodeJS.ProcessEnv = {}) => {
    try {
      return await run(process.execPath, [CLI, ...args], {
        cwd,
        env: { ...env, ...extraEnv },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 600_000,
      });
    } catch (error) {
      const e = error as Error & { stdout?: string; stderr?: string };
      throw new Error(`zapier-platform ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'qualifybase-ship-'));
    standIn = await startPlatformStandIn({ deployKey: DEPLOY_KEY, appId: APP_ID });
    // What `zapier-platform login` writes; `register` adds the app's id to a copy of .zapierapprc.
    fs.writeFileSync(path.join(tmp, 'zapierrc'), JSON.stringify({ deployKey: DEPLOY_KEY }));
    fs.copyFileSync(path.join(ROOT, '.zapierapprc'), path.join(tmp, 'zapierapprc'));
    const { ZAPIER_DEPLOY_KEY: _ignored, ...inherited } = process.env;
    env = {
      ...inherited,
      ZAPIER_BASE_ENDPOINT: standIn.baseEndpoint,
      ZAPIER_AUTH_LOCATION: path.join(tmp, 'zapierrc'),
      ZAPIER_CURRENT_APP_FILE: path.join(tmp, 'zapierapprc'),
      DISABLE_ZAPIER_ANALYTICS: '1',
      NO_UPDATE_NOTIFIER: '1',
      CI: '1',
    };
  });

  afterAll(async () => {
    await standIn?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('register links the project to a new integration, keeping .zapierapprc settings', async () => {
    await zapier([
      'register',
      'QualifyBase',
      '--desc',
      'Clinic leads and bookings.',
      '--url',
      'https://www.qualifybase.com',
      '--audience',
      'private',
      '--role',
      'employee',
      '--category',
      'scheduling-booking',
      '--yes',
    ]);
    const linked = JSON.parse(fs.readFileSync(path.join(tmp, 'zapierapprc'), 'utf8'));
    const repoRc = JSON.parse(fs.readFileSync(path.join(ROOT, '.zapierapprc'), 'utf8'));
    expect(linked).toEqual({ ...repoRc, id: APP_ID, key: `App${APP_ID}` });
  }, 120_000);

  it('validate runs the schema checks, then the integration checks on what the CLI sends (the stand-in runs our definition checks)', async () => {
    const before = standIn.checkedDefinitions.length;
    const { stdout } = await zapier(['validate']);
    expect(stdout).toContain('This project is structurally sound!');
    expect(stdout).toContain(`- ${Object.keys(DEFINITION_CHECKS).length} checks passed`);
    expect(stdout).toContain('- 0 checks failed');
    expect(stdout).toContain('Integration checks passed, no issues found.');
    expect(standIn.checkedDefinitions).toHaveLength(before + 1);
    expect(operationKeys(standIn.checkedDefinitions[before])).toEqual(operationKeys(App));
  }, 300_000);

  it('the stand-in answers a definition that fails a check with that failure, as an Error (push would refuse it)', async () => {
    const definition = structuredClone(standIn.checkedDefinitions[0]!) as any;
    const field = definition.searches.find_appointment.operation.inputFields[0];
    delete field.dynamic;
    field.label = 'Appointment ID';
    const res = await fetch(`${standIn.baseEndpoint}/api/platform/cli/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_definition: definition }),
    });
    const result = await res.json();
    expect(result.errors.total_failures).toBe(1);
    expect(result.errors.results[0].violations).toEqual([
      {
        type: 'D004',
        results: [{ tag: 'D004', message: expect.stringMatching(/find_appointment: input field appointment_id \("Appointment ID"\)/) }],
      },
    ]);
    expect(result.passes).toHaveLength(Object.keys(DEFINITION_CHECKS).length - 1);
  });

  describe('push', () => {
    let unzipped: string;
    let srv: TestServer;
    let clinic: TestClinic;
    let host: string;
    let appointment: { id: string };

    beforeAll(async () => {
      await zapier(['push', '--skip-dep-install']);
      unzipped = path.join(tmp, 'uploaded');
      fs.mkdirSync(unzipped);
      const upload = standIn.uploads[0]!;
      fs.writeFileSync(path.join(tmp, 'uploaded.zip'), upload.zip);
      await decompress(path.join(tmp, 'uploaded.zip'), unzipped);

      srv = await startTestServer('pglite');
      clinic = await srv.clinic('Zip Clinic');
      const lead = await clinic.api.post('/api/v1/leads', { email: 'zip@example.com', full_name: 'Zip Patient' });
      const [slot] = (await clinic.api.get('/api/v1/availability?limit=1')).body.data;
      appointment = (await clinic.api.post('/api/v1/appointments', { lead_id: lead.body.id, ...slot })).body;
      host = `${srv.url}/`;
    }, 600_000);

    afterAll(async () => {
      await srv?.close();
    });

    // The event's `environment` is how Zapier hands env vars (QB_HOST here) to the app.
    const invoke = (method: string, bundle: object) =>
      callHandler(unzipped, { command: 'execute', method, bundle, environment: { QB_HOST: host } });

    it('uploads this version with the build zip and the source zip, after the integration checks', () => {
      expect(standIn.uploads).toHaveLength(1);
      const [upload] = standIn.uploads;
      expect(upload!.version).toBe(PKG.version);
      expect(upload!.skipValidation).toBe(false);
      expect(standIn.calls.filter((c) => c.method === 'PUT').every((c) => c.deployKey === DEPLOY_KEY)).toBe(true);
      expect(fs.readFileSync(path.join(ROOT, 'build/build.zip')).equals(upload!.zip)).toBe(true);
      expect(fs.readFileSync(path.join(ROOT, 'build/source.zip')).equals(upload!.sourceZip)).toBe(true);
    });

    it("holds Zapier's entry point, the compiled app and its runtime packages, and no other code", () => {
      for (const file of [
        'zapierwrapper.js',
        'index.js',
        'definition.json',
        'package.json',
        'dist/index.js',
        'dist/triggers/appointment_created.js',
      ]) {
        expect(fs.existsSync(path.join(unzipped, file))).toBe(true);
      }
      expect(fs.existsSync(path.join(unzipped, 'node_modules/zapier-platform-core/index.js'))).toBe(true);
      const files = listFiles(unzipped);
      expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
      // The CLI adds every package.json of the tree (a preset pattern); no server or test code comes along.
      expect(files.filter((f) => /^(server|test|scripts)\//.test(f) && path.basename(f) !== 'package.json')).toEqual([]);
      expect(
        files.filter(
          (f) => /node_modules\/(jest|typescript|zapier-platform-cli|pg|hono|kysely)\//.test(f) && path.basename(f) !== 'package.json',
        ),
      ).toEqual([]);
      expect(JSON.parse(fs.readFileSync(path.join(unzipped, 'definition.json'), 'utf8')).version).toBe(PKG.version);
    });

    it('sends the source: the TypeScript app without installed packages', async () => {
      const source = path.join(tmp, 'source');
      fs.writeFileSync(path.join(tmp, 'source.zip'), standIn.uploads[0]!.sourceZip);
      await decompress(path.join(tmp, 'source.zip'), source);
      const files = listFiles(source);
      expect(files).toEqual(
        expect.arrayContaining([
          'index.ts',
          'index.js',
          'package.json',
          'package-lock.json',
          'triggers/appointment_created.ts',
          'CHANGELOG.md',
        ]),
      );
      expect(files.filter((f) => f.includes('node_modules/') || f.startsWith('dist/') || f.startsWith('build/'))).toEqual([]);
    });

    it("lists every operation of the app through the zip's own handler", async () => {
      const out = await callHandler(unzipped, { command: 'definition' });
      expect(out.ok).toBe(true);
      expect(operationKeys(out.results)).toEqual(operationKeys(App));
      expect(out.results.version).toBe(PKG.version);
    }, 60_000);

    it('runs the authentication test', async () => {
      const out = await invoke('authentication.test', { authData: { api_key: clinic.api_key } });
      expect(out.ok).toBe(true);
      expect(Me.parse(out.results).clinic).toEqual(clinic.clinic);
    }, 60_000);

    it("runs appointment_created's performList", async () => {
      const out = await invoke('triggers.appointment_created.operation.performList', { authData: { api_key: clinic.api_key }, meta: {} });
      expect(out.ok).toBe(true);
      expect(out.results).toEqual([(await clinic.api.get(`/api/v1/appointments/${appointment.id}`)).body]);
    }, 60_000);

    it("runs calendar_block's perform, and the block is on the clinic's calendar", async () => {
      const inputData = {
        external_source: 'google_calendar',
        external_id: 'ship-evt-1',
        starts_at: '2031-03-04T15:00:00Z',
        ends_at: '2031-03-04T15:30:00Z',
        title: 'Lunch',
      };
      const out = await invoke('creates.calendar_block.operation.perform', { authData: { api_key: clinic.api_key }, inputData });
      expect(out.ok).toBe(true);
      const block = CalendarBlock.parse(out.results);
      expect(block).toMatchObject({
        external_source: 'google_calendar',
        external_id: 'ship-evt-1',
        starts_at: '2031-03-04T15:00:00.000Z',
        ends_at: '2031-03-04T15:30:00.000Z',
      });
      const stored = await srv.running.deps.database.db
        .selectFrom('calendar_blocks')
        .select('id')
        .where('id', '=', block.id)
        .where('clinic_id', '=', clinic.clinic.id)
        .execute();
      expect(stored).toHaveLength(1);
    }, 60_000);

    it('maps a revoked key to ExpiredAuthError', async () => {
      const { key, row } = await createApiKey(srv.running.deps.database.db, clinic.clinic.id, 'to revoke');
      expect((await invoke('authentication.test', { authData: { api_key: key } })).ok).toBe(true);
      await revokeApiKey(srv.running.deps.database.db, clinic.clinic.id, row.id);
      const out = await invoke('authentication.test', { authData: { api_key: key } });
      expect(out).toMatchObject({ ok: false, name: 'ExpiredAuthError', message: expect.stringMatching(/invalid or has been revoked/) });
    }, 60_000);

    it('upload sends the same build again', async () => {
      await zapier(['upload']);
      expect(standIn.uploads).toHaveLength(2);
      expect(standIn.uploads[1]!.zip.equals(standIn.uploads[0]!.zip)).toBe(true);
      expect(standIn.uploads[1]!.sourceZip.equals(standIn.uploads[0]!.sourceZip)).toBe(true);
    }, 120_000);

    it("promote sends this version's CHANGELOG.md entry", async () => {
      await zapier(['promote', PKG.version, '--yes']);
      const promotion = standIn.calls.find((c) => c.method === 'POST' && c.path === `/apps/${APP_ID}/migrations`);
      const job = promotion?.body?.job as { name: string; to_version: string; changelog: string };
      expect(job).toMatchObject({ name: 'promote', to_version: PKG.version });
      expect(job.changelog.length).toBeGreaterThan(20);
      expect(fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8')).toContain(job.changelog);
    }, 120_000);

    it('migrate moves users from an older version', async () => {
      await zapier(['migrate', '0.9.0', PKG.version, '--yes']);
      const migrations = standIn.calls.filter((c) => c.method === 'POST' && c.path === `/apps/${APP_ID}/migrations`);
      expect(migrations.at(-1)?.body?.job).toMatchObject({
        name: 'migrate',
        from_version: '0.9.0',
        to_version: PKG.version,
        percent_human: 100,
      });
    }, 120_000);
  });

  describe("a production-only checkout, with the CLI's default build (copy + npm install --production)", () => {
    let lean: string;

    beforeAll(async () => {
      // The project's files as a fresh clone has them (tracked, or new and not ignored).
      // tmp/deploy/node_modules holds the build tools a deploy job has (TypeScript, Node's types),
      // outside the checkout, where tsc still finds them (an ancestor's node_modules).
      lean = path.join(tmp, 'deploy', 'lean');
      const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
        cwd: ROOT,
        maxBuffer: 16 * 1024 * 1024,
      });
      for (const file of stdout.split('\0').filter(Boolean)) {
        const from = path.join(ROOT, file);
        if (!fs.existsSync(from)) continue; // deleted in the working tree
        fs.mkdirSync(path.dirname(path.join(lean, file)), { recursive: true });
        fs.copyFileSync(from, path.join(lean, file));
      }
    }, 120_000);

    it('npm ci --omit=dev installs the app alone (no server packages)', async () => {
      const npm = (args: string[]) =>
        run('npm', [...args, '--no-audit', '--no-fund'], { cwd: lean, env, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
      const { stdout } = await npm(['ci', '--omit=dev']);
      expect(stdout).toContain('skipping the reference server');
      expect(fs.existsSync(path.join(lean, 'node_modules/zapier-platform-core'))).toBe(true);
      expect(fs.existsSync(path.join(lean, 'node_modules/jest'))).toBe(false);
      expect(fs.existsSync(path.join(lean, 'server/node_modules'))).toBe(false);
      // What the `_zapier-build` script (tsc) needs, at the versions the lockfile pins.
      const lock = JSON.parse(fs.readFileSync(path.join(lean, 'package-lock.json'), 'utf8')).packages;
      const pinned = ['typescript', '@types/node'].map((name) => `${name}@${lock[`node_modules/${name}`].version}`);
      await npm(['install', '--prefix', path.dirname(lean), '--no-save', ...pinned]);
    }, 600_000);

    const deployTools = () => ({ PATH: `${path.join(path.dirname(lean), 'node_modules/.bin')}${path.delimiter}${env.PATH ?? ''}` });

    it('zapier-platform validate builds the app first (no dist/ in a fresh checkout)', async () => {
      expect(fs.existsSync(path.join(lean, 'dist'))).toBe(false);
      const { stdout } = await zapier(['validate'], lean, deployTools());
      expect(stdout).toContain('This project is structurally sound!');
      expect(fs.existsSync(path.join(lean, 'dist/index.js'))).toBe(true);
    }, 300_000);

    it('zapier-platform build makes a zip whose handler lists every operation', async () => {
      fs.rmSync(path.join(lean, 'dist'), { recursive: true, force: true });
      await zapier(['build'], lean, deployTools());
      const dir = path.join(tmp, 'lean-unzipped');
      fs.mkdirSync(dir);
      await decompress(path.join(lean, 'build/build.zip'), dir);
      const out = await callHandler(dir, { command: 'definition' });
      expect(out.ok).toBe(true);
      expect(operationKeys(out.results)).toEqual(operationKeys(App));
    }, 600_000);
  });
});

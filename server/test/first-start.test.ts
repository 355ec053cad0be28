/**
 * Issue 19, item 6: a production first start printed an all-scope API key and, with
 * QB_ADMIN_EMAIL, the admin password to stdout, where container and CI logs keep them. Now they go
 * to a 0600 file beside the data directory, and the log says where; `npm start` in development
 * still shows the demo's key and login once (DESIGN.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backends, createPostgresDatabase, type Backend } from './support/databases';
import { dashboardClient } from './support/dashboard';
import { kill, startServerProcess, type ServerChild } from './support/processes';
import { rawRequest } from './support/server';

const PRODUCTION = { NODE_ENV: 'production', QB_DEV_TOOLS: '0', QB_ALLOW_PRIVATE_WEBHOOKS: '0', QB_WORKER: 'off', LOG_LEVEL: 'info' };

function parseCredentials(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe.each(backends())('the production first start on %s', (backend: Backend) => {
  let root: string;
  let storage: Record<string, string>;
  const running: ServerChild[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'qb-first-start-'));
    const dataDir = path.join(root, 'data');
    storage = backend === 'pglite' ? { QB_DATA_DIR: dataDir } : { QB_DATA_DIR: dataDir, DATABASE_URL: await createPostgresDatabase() };
  });
  afterAll(async () => {
    await Promise.all(running.map(kill));
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<ServerChild> {
    const server = await startServerProcess({ ...PRODUCTION, ...storage, ...env });
    running.push(server);
    return server;
  }

  it('writes the first key and login to a 0600 file beside the data directory, and neither to the log', async () => {
    const server = await start({ QB_ADMIN_EMAIL: 'Admin@Clinic.test' });
    const file = path.join(root, 'data.credentials');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const credentials = parseCredentials(fs.readFileSync(file, 'utf8'));
    expect(credentials.QB_API_KEY).toMatch(/^qbk_live_/);
    expect(credentials.QB_DASHBOARD_EMAIL).toBe('admin@clinic.test');
    expect(credentials.QB_DASHBOARD_PASSWORD).toMatch(/^[A-Za-z0-9_-]{16}$/);

    const log = server.output();
    expect(log).toContain(`were written to\n  ${file} (mode 0600), not to this log`);
    expect(log).not.toContain(credentials.QB_API_KEY!);
    expect(log).not.toContain(credentials.QB_DASHBOARD_PASSWORD!);
    expect(log).not.toMatch(/qbk_live_/);

    // The values work.
    const me = await rawRequest(server.url, 'GET', '/api/v1/me', undefined, { authorization: `Bearer ${credentials.QB_API_KEY}` });
    expect(me.status).toBe(200);
    const signedIn = await dashboardClient(server.url).signIn(credentials.QB_DASHBOARD_EMAIL!, credentials.QB_DASHBOARD_PASSWORD!);
    expect(signedIn.status).toBe(303);
    await kill(server);

    // A later start finds the database in use: no new clinic, no new secret, the file left alone.
    fs.rmSync(file);
    const again = await start({ QB_ADMIN_EMAIL: 'admin@clinic.test' });
    expect(again.output()).not.toContain('First start');
    expect(fs.existsSync(file)).toBe(false);
    await kill(again);
  });
});

describe('the first start, file and demo', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'qb-first-start-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('refuses to overwrite an existing credentials file, and leaves the database empty to start again', async () => {
    const file = path.join(root, 'taken.credentials');
    fs.writeFileSync(file, 'someone else’s file\n', { mode: 0o600 });
    const env = { ...PRODUCTION, QB_DATA_DIR: path.join(root, 'data'), QB_CREDENTIALS_FILE: file };
    await expect(startServerProcess(env)).rejects.toThrow(/taken\.credentials exists already: .*never overwrites a file/);
    expect(fs.readFileSync(file, 'utf8')).toBe('someone else’s file\n');
    fs.rmSync(file);
    const server = await startServerProcess(env);
    try {
      expect(parseCredentials(fs.readFileSync(file, 'utf8')).QB_API_KEY).toMatch(/^qbk_live_/);
      expect(server.output()).toContain('No dashboard user: set QB_ADMIN_EMAIL');
    } finally {
      await kill(server);
    }
  });

  it('shows the demo key and login once in development, and writes no file', async () => {
    const server = await startServerProcess({
      NODE_ENV: 'development',
      QB_DATA_DIR: 'memory',
      QB_WORKER: 'off',
      QB_CREDENTIALS_FILE: path.join(root, 'dev.credentials'),
    });
    try {
      expect(server.output()).toMatch(/API key: {10}qbk_live_/);
      expect(server.output()).toMatch(/Dashboard login: {2}demo@qualifybase\.local \/ \S+/);
      expect(fs.existsSync(path.join(root, 'dev.credentials'))).toBe(false);
    } finally {
      await kill(server);
    }
  });
});

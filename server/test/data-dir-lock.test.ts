/** One process per embedded-database directory. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirInUseError, lockDataDir } from '../db/data-dir-lock';

describe('data directory lock', () => {
  const dir = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qb-lock-')), 'data');

  it('refuses a second owner while the first runs, and frees the directory on release', () => {
    const d = dir();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(path.dirname(d), '.data.lock'), String(sleeper.pid));
      expect(() => lockDataDir(d)).toThrow(DataDirInUseError);
      expect(() => lockDataDir(d)).toThrow(new RegExp(`in use by process ${sleeper.pid}`));
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('takes over a lock whose owner is gone (a crash), and releases it', async () => {
    const d = dir();
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('exit', r));
    fs.mkdirSync(d, { recursive: true });
    const lockFile = path.join(path.dirname(d), '.data.lock');
    fs.writeFileSync(lockFile, String(gone.pid));
    const release = lockDataDir(d);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    release();
    expect(fs.existsSync(lockFile)).toBe(false);
    lockDataDir(d)();
  });
});

/**
 * The PostgreSQL pool keeps the connections a burst opened (PGlite has no pool): a quiet spell
 * must not close them, or the next burst waits while the pool opens new ones (a backend process
 * and a SCRAM authentication each; db/connect.ts).
 */
import { connectDatabase } from '../db/connect';
import { backends, createPostgresDatabase } from './support/databases';

for (const backend of backends().filter((b) => b === 'postgres')) {
  describe(`the connection pool on ${backend}`, () => {
    it('keeps the connections of a burst open through a long idle spell, and serves the next burst on them', async () => {
      const database = await connectDatabase({ databaseUrl: await createPostgresDatabase(), maxConnections: 4 });
      const pool = database.pool!;
      let opened = 0;
      pool.on('connect', () => opened++);
      // A burst: four connections in use at once (one of them made by the migrations already).
      const held = await Promise.all(Array.from({ length: 4 }, () => pool.connect()));
      const openedByBurst = opened;
      try {
        expect(pool.totalCount).toBe(4);
        // A quiet hour: every idle timer the pool sets on release runs out (fake timers).
        jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
        try {
          for (const client of held.splice(0)) client.release();
          jest.advanceTimersByTime(60 * 60_000);
          expect({ total: pool.totalCount, idle: pool.idleCount }).toEqual({ total: 4, idle: 4 });
        } finally {
          jest.useRealTimers();
        }
        // The next burst runs on the same four connections: none is opened.
        const rows = await Promise.all(Array.from({ length: 4 }, (_, i) => pool.query('select $1::int as n', [i])));
        expect(rows.map((r) => r.rows[0].n)).toEqual([0, 1, 2, 3]);
        expect(opened).toBe(openedByBurst);
      } finally {
        for (const client of held) client.release();
        await database.close();
      }
    });

    it('has all its connections open once connected, so the first burst waits for none to be made', async () => {
      const database = await connectDatabase({ databaseUrl: await createPostgresDatabase(), maxConnections: 5 });
      const pool = database.pool!;
      try {
        expect({ total: pool.totalCount, idle: pool.idleCount }).toEqual({ total: 5, idle: 5 });
        let opened = 0;
        pool.on('connect', () => opened++);
        const held = await Promise.all(Array.from({ length: 5 }, () => pool.connect()));
        for (const client of held) client.release();
        expect(opened).toBe(0);
      } finally {
        await database.close();
      }
    });
  });
}

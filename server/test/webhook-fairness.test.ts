/**
 * Issue 19: one clinic's receivers cannot slow down another clinic's webhooks. A receiver that
 * never answers holds only its own destination's slots (never a batch, never another clinic's
 * delivery), and a destination that keeps failing is backed off as a whole (its circuit opens):
 * its deliveries are recorded as not sent, without a connection, until it is probed again.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/connect';
import { createClinic } from '../services/clinics';
import { pauseSubscriptions } from '../webhooks/claims';
import { startDispatcher, type ClaimedDelivery } from '../webhooks/dispatcher';
import { recordEvent } from '../webhooks/outbox';
import { createPauser } from '../webhooks/pauser';
import { backends, openTestDatabase } from './support/databases';
import { startReceiver, type Receiver } from './support/receiver';
import { startTestServer, type TestClinic, type TestServer } from './support/server';
import { waitUntil } from './support/wait';

/** A receiver that reads every request and never answers it. */
async function silentReceiver() {
  let requests = 0;
  const server = http.createServer((req) => {
    requests++;
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP listener that closes every connection at once: a receiver that is down. */
async function droppingListener() {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/down`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The attempts recorded for a clinic's deliveries. */
async function attemptsOf(srv: TestServer, clinicId: string) {
  return srv.running.deps.database.db
    .selectFrom('webhook_delivery_attempts as a')
    .innerJoin('webhook_deliveries as d', 'd.id', 'a.delivery_id')
    .select(['a.delivery_id', 'a.response_status', 'a.error'])
    .where('d.clinic_id', '=', clinicId)
    .orderBy('a.attempted_at')
    .execute();
}

describe.each(backends())('webhook fairness on %s', (backend) => {
  let srv: TestServer;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    srv = await startTestServer(backend);
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await srv.close();
  });

  it("delivers a clinic's webhook at once while another clinic's 500 deliveries hang on a receiver that never answers", async () => {
    const silent = await silentReceiver();
    closers.push(silent.close);
    const fine: Receiver = await startReceiver();
    closers.push(fine.close);
    const noisy: TestClinic = await srv.clinic('Noisy');
    const victim: TestClinic = await srv.clinic('Victim');
    for (let s = 0; s < 100; s++) {
      expect((await noisy.api.post('/api/v1/webhooks', { url: `${silent.url}/${s}`, events: ['lead.created'] })).status).toBe(201);
    }
    expect((await victim.api.post('/api/v1/webhooks', { url: fine.url, events: ['lead.created'] })).status).toBe(201);

    for (let i = 0; i < 5; i++) expect((await noisy.api.post('/api/v1/leads', { email: `noisy-${i}@example.com` })).status).toBe(201);
    await waitUntil('the silent receiver to hold requests', () => silent.requests() >= 50, 20_000);
    expect((await victim.api.post('/api/v1/leads', { email: 'victim@example.com' })).status).toBe(201);
    await fine.waitFor(1, 30_000);

    // It arrived while every one of the noisy clinic's attempts was still waiting for an answer
    // (a 15 s timeout): nothing of theirs has finished, so the victim waited for none of it.
    expect(await attemptsOf(srv, noisy.clinic.id)).toEqual([]);
    // The silent receiver holds at most its destination's share of this process's slots.
    expect(silent.requests()).toBeLessThanOrEqual(srv.running.deps.config.webhookDestinationConcurrency);
  });

  it('backs off a destination that keeps failing as a whole: after 5 failures in a row, deliveries to it are not sent', async () => {
    const down = await droppingListener();
    closers.push(down.close);
    const clinic = await srv.clinic('Down Receiver');
    expect((await clinic.api.post('/api/v1/webhooks', { url: down.url, events: ['lead.created'] })).status).toBe(201);
    for (let i = 0; i < 5; i++) {
      expect((await clinic.api.post('/api/v1/leads', { email: `down-${i}@example.com` })).status).toBe(201);
      await waitUntil(`attempt ${i + 1} to be recorded`, async () => (await attemptsOf(srv, clinic.clinic.id)).length === i + 1, 20_000);
    }
    expect(down.connections()).toBe(5);

    // The circuit is open: new deliveries wait, paused as a whole, due no sooner than the circuit
    // lets a probe through; none is attempted (at most recorded as not sent), no connection made.
    for (let i = 0; i < 10; i++) expect((await clinic.api.post('/api/v1/leads', { email: `paused-${i}@example.com` })).status).toBe(201);
    const { db } = srv.running.deps.database;
    const pausedIds = (
      await db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('clinic_id', '=', clinic.clinic.id)
        .orderBy('created_at', 'desc')
        .limit(10)
        .execute()
    ).map((r) => r.id);
    await waitUntil(
      'the new deliveries to be due when the circuit lets a probe through',
      async () =>
        (
          await db
            .selectFrom('webhook_deliveries')
            .select('id')
            .where('id', 'in', pausedIds)
            .where('next_attempt_at', '>', new Date(Date.now() + 10_000))
            .execute()
        ).length === 10,
      20_000,
    );
    const attempts = await attemptsOf(srv, clinic.clinic.id);
    const paused = attempts.filter((a) => pausedIds.includes(a.delivery_id));
    expect(paused.every((a) => a.response_status === null && /^not sent: /.test(a.error ?? ''))).toBe(true);
    expect(down.connections()).toBe(5);
    for (const a of attempts.slice(5)) expect(a.error).not.toMatch(/127\.0\.0\.1|connection/);
    const pending = await db
      .selectFrom('webhook_deliveries')
      .select([sql<number>`extract(epoch from min(next_attempt_at) - now())::float8`.as('wait')])
      .where('id', 'in', pausedIds)
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    expect(Number(pending.wait)).toBeGreaterThan(10); // a plain first retry would be due within 6 s
  });
});

describe.each(backends())('the dispatcher and a held clinic on %s', (backend) => {
  it("leaves a held clinic's new deliveries in the outbox and claims everyone else's", async () => {
    const database = await openTestDatabase(backend);
    const { db } = database;
    try {
      const clinicIds: string[] = [];
      for (const name of ['Held', 'Free']) {
        const { clinic } = await createClinic(db, name, 'UTC');
        const key = await db.selectFrom('api_keys').select('id').where('clinic_id', '=', clinic.id).executeTakeFirstOrThrow();
        await db
          .insertInto('webhooks')
          .values({
            clinic_id: clinic.id,
            api_key_id: key.id,
            url: 'https://hooks.example.test/h',
            events: ['lead.created'],
            secret: 'whsec_x',
          })
          .execute();
        for (let i = 0; i < 3; i++)
          await db.transaction().execute((trx) => recordEvent(trx, clinic.id, 'lead.created', { id: `l${i}` } as never));
        clinicIds.push(clinic.id);
      }
      const [held, free] = clinicIds as [string, string];
      const taken: ClaimedDelivery[] = [];
      const dispatcher = startDispatcher(database, {
        staleAfterMs: 60_000,
        sweepIntervalMs: 60_000,
        room: () => 100,
        held: () => [held],
        take: (rows) => taken.push(...rows),
        onError: (error) => {
          throw error;
        },
      });
      await waitUntil('the free clinic to be claimed', () => taken.length === 3, 10_000);
      await dispatcher.stop();
      const rows = await db.selectFrom('webhook_deliveries').select(['clinic_id', 'dispatched']).execute();
      expect(rows.filter((r) => r.clinic_id === free).every((r) => r.dispatched)).toBe(true);
      expect(rows.filter((r) => r.clinic_id === held).map((r) => r.dispatched)).toEqual([false, false, false]);
    } finally {
      await database.close();
    }
  });
});

/** A clinic with two `lead.created` subscriptions: one whose destination is down, one whose is up. */
async function clinicWithTwoSubscriptions(db: DatabaseHandle['db']) {
  const { clinic } = await createClinic(db, 'Paused', 'UTC');
  const key = await db.selectFrom('api_keys').select('id').where('clinic_id', '=', clinic.id).executeTakeFirstOrThrow();
  const [down, up] = await db
    .insertInto('webhooks')
    .values(
      ['https://down.example.test/h', 'https://up.example.test/h'].map((url) => ({
        clinic_id: clinic.id,
        api_key_id: key.id,
        url,
        events: ['lead.created'],
        secret: 'whsec_x',
      })),
    )
    .returning('id')
    .execute();
  return { clinic, down: down!, up: up! };
}

describe.each(backends())('the dispatcher and a paused subscription on %s', (backend) => {
  it("claims none of a paused subscription's due deliveries: it moves them into the pause, and claims the others", async () => {
    const database = await openTestDatabase(backend);
    const { db } = database;
    try {
      const { clinic, down, up } = await clinicWithTwoSubscriptions(db);
      for (let i = 0; i < 3; i++)
        await db.transaction().execute((trx) => recordEvent(trx, clinic.id, 'lead.created', { id: `l${i}` } as never));
      // Paused after its deliveries were written due now (as by another instance, whose move of
      // the waiting ones has not reached them yet).
      const until = new Date(Date.now() + 60_000);
      await db.updateTable('webhooks').set({ paused_until: until }).where('id', '=', down.id).execute();
      const taken: ClaimedDelivery[] = [];
      const dispatcher = startDispatcher(database, {
        staleAfterMs: 60_000,
        sweepIntervalMs: 60_000,
        room: () => 100,
        held: () => [],
        take: (rows) => taken.push(...rows),
        onError: (error) => {
          throw error;
        },
      });
      await waitUntil('the other subscription to be claimed', () => taken.length >= 3, 10_000);
      await dispatcher.stop();
      expect(taken.map((t) => t.webhook_id)).toEqual([up.id, up.id, up.id]);
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select(['dispatched', 'next_attempt_at'])
        .where('webhook_id', '=', down.id)
        .execute();
      expect(rows).toHaveLength(3);
      for (const row of rows) {
        expect(row.dispatched).toBe(false);
        expect(row.next_attempt_at!.getTime()).toBeGreaterThanOrEqual(until.getTime());
        expect(row.next_attempt_at!.getTime()).toBeLessThanOrEqual(until.getTime() + 61_000);
      }
    } finally {
      await database.close();
    }
  });
});

describe.each(backends())('pausing the subscriptions of a destination whose circuit is open, on %s', (backend) => {
  it("writes their new deliveries due when the pause ends and moves their waiting ones there, and no one else's", async () => {
    const database = await openTestDatabase(backend);
    const { db } = database;
    try {
      const { clinic, down, up } = await clinicWithTwoSubscriptions(db);
      const record = (i: number) =>
        db.transaction().execute((trx) => recordEvent(trx, clinic.id, 'lead.created', { id: `l${i}` } as never));
      for (let i = 0; i < 3; i++) await record(i);
      const until = new Date(Date.now() + 60_000);
      await pauseSubscriptions(db, { clinicIds: [clinic.id], webhookIds: [down.id] }, until);
      for (let i = 3; i < 6; i++) await record(i);

      const rows = await db.selectFrom('webhook_deliveries').select(['webhook_id', 'next_attempt_at']).execute();
      const of = (id: string) => rows.filter((r) => r.webhook_id === id).map((r) => r.next_attempt_at!.getTime());
      // Every delivery to the paused subscription, older or newer, is due within [until, until + the pause].
      expect(of(down.id)).toHaveLength(6);
      for (const at of of(down.id)) {
        expect(at).toBeGreaterThanOrEqual(until.getTime());
        expect(at).toBeLessThanOrEqual(until.getTime() + 61_000);
      }
      // The other subscription's are due now.
      expect(of(up.id)).toHaveLength(6);
      for (const at of of(up.id)) expect(at).toBeLessThanOrEqual(Date.now());
      const paused = await db.selectFrom('webhooks').select(['id', 'paused_until']).execute();
      expect(paused.find((w) => w.id === up.id)!.paused_until).toBeNull();
    } finally {
      await database.close();
    }
  });

  it('holds a clinic while its waiting backlog is moved into the pause, and only until the move is done', async () => {
    const database = await openTestDatabase(backend);
    const { db } = database;
    try {
      const { clinic } = await createClinic(db, 'Moving', 'UTC');
      const key = await db.selectFrom('api_keys').select('id').where('clinic_id', '=', clinic.id).executeTakeFirstOrThrow();
      const hook = await db
        .insertInto('webhooks')
        .values({
          clinic_id: clinic.id,
          api_key_id: key.id,
          url: 'https://down.example.test/h',
          events: ['lead.created'],
          secret: 'whsec_x',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      for (let i = 0; i < 3; i++)
        await db.transaction().execute((trx) => recordEvent(trx, clinic.id, 'lead.created', { id: `l${i}` } as never));
      const moves: Promise<void>[] = [];
      const pauser = createPauser(db, (work) => moves.push(work));
      const destination = 'https://down.example.test';
      pauser.pause(destination, Date.now() + 60_000, [{ clinic: clinic.id, destination, target: { webhookId: hook.id } }]);
      expect(moves).toHaveLength(1);
      expect(pauser.moving()).toEqual([clinic.id]);
      await Promise.all(moves);
      expect(pauser.moving()).toEqual([]);
      const due = await db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('webhook_id', '=', hook.id)
        .where('next_attempt_at', '<=', new Date())
        .execute();
      expect(due).toEqual([]);
    } finally {
      await database.close();
    }
  });
});

/**
 * A write wakes the webhook dispatcher once its answer is ready (app.ts). The write has committed
 * by then: should the wake-up itself fail, the client still gets the write's own answer (the
 * sweep finds the deliveries in the outbox), never a 500 for a write that happened.
 */
import { backends } from './support/databases';
import { startTestServer, type TestClinic, type TestServer } from './support/server';

describe.each(backends())('the dispatcher wake-up after a write on %s', (backend) => {
  let srv: TestServer;
  let clinic: TestClinic;
  let wakeUps = 0;
  let failWith: unknown;

  beforeAll(async () => {
    srv = await startTestServer(backend, { runWorker: false });
    clinic = await srv.clinic('Wake-up Dental');
    srv.running.deps.notifyEvents = () => {
      wakeUps++;
      if (failWith !== undefined) throw failWith;
    };
  });
  afterAll(() => srv.close());

  it.each([
    ['an Error', new Error('the dispatcher is gone')],
    ['a thrown string', 'the dispatcher is gone'],
  ])('a failing wake-up (%s) leaves the write its own answer', async (_kind, thrown) => {
    failWith = thrown;
    const before = wakeUps;
    try {
      const res = await clinic.api.post('/api/v1/leads', { email: `wake-${wakeUps}@example.com`, full_name: 'Wake Up' });
      expect(wakeUps).toBe(before + 1);
      expect(res.status).toBe(201);
      const read = await clinic.api.get(`/api/v1/leads/${res.body.id}`);
      expect(read.status).toBe(200);
    } finally {
      failWith = undefined;
    }
  });

  it('a read wakes nothing', async () => {
    const before = wakeUps;
    expect((await clinic.api.get('/api/v1/leads')).status).toBe(200);
    expect(wakeUps).toBe(before);
  });
});

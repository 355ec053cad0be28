import { sampleSlot } from '../../contract/samples';
import { FoundSlot } from '../../lib/schemas';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const search = App.searches!.find_available_slot;
const perform = search.operation.perform as never;
const later = { scheduled_at: '2026-05-15T11:30:00.000Z', ends_at: '2026-05-15T12:00:00.000Z' };

describe('find_available_slot (Find Available Slot)', () => {
  useNock();

  it('takes from, to, a time-of-day dropdown and a limit, each with help text', () => {
    expect(search.display.label).toBe('Find Available Slot');
    expect(search.display.description).toBe('Finds the earliest open appointment slots.');
    const fields = search.operation.inputFields as Array<{ key: string; helpText?: string; choices?: Array<{ value: string }> }>;
    expect(fields.map((f) => f.key)).toEqual(['from', 'to', 'preference', 'limit']);
    expect(fields[2]!.choices!.map((c) => c.value).sort()).toEqual(['afternoon', 'any', 'evening', 'morning']);
    for (const f of fields) expect(f.helpText?.length).toBeGreaterThan(20);
  });

  it("says what Zapier does with From and To: a date and time in the Zap's time zone, passed on as that instant", async () => {
    const fields = search.operation.inputFields as Array<{ key: string; type?: string; helpText: string }>;
    for (const field of fields.filter((f) => f.key === 'from' || f.key === 'to')) {
      expect(field.type).toBe('datetime');
      expect(field.helpText).toMatch(/Zap's time zone/);
      expect(field.helpText).not.toMatch(/clinic time/);
    }
    // What Zapier sends for "2026-05-15" in a New York Zap reaches the API unchanged.
    api()
      .get('/api/v1/availability')
      .query({ from: '2026-05-15T00:00:00-04:00', limit: '1' })
      .reply(200, { data: [sampleSlot] });
    await appTester(perform, { authData, inputData: { from: '2026-05-15T00:00:00-04:00' } });
  });

  it('returns the earliest open slot with an id, ready for Book Appointment', async () => {
    api()
      .get('/api/v1/availability')
      .query({ from: '2026-05-15', preference: 'morning', limit: '1' })
      .reply(200, { data: [sampleSlot] });
    const result = await appTester(perform, { authData, inputData: { from: '2026-05-15', to: '', preference: 'morning' } });
    expect(result).toEqual([{ id: sampleSlot.scheduled_at, ...sampleSlot }]);
    expect(() => FoundSlot.parse((result as unknown[])[0])).not.toThrow();
    // Same keys as Book Appointment's start/end fields.
    const bookingKeys = App.creates.appointment.operation.inputFields.map((f: { key: string }) => f.key);
    for (const key of ['scheduled_at', 'ends_at']) expect(bookingKeys).toContain(key);
  });

  it('passes from, to, preference and limit through and returns every slot in order', async () => {
    api()
      .get('/api/v1/availability')
      .query({ from: '2026-05-15T00:00:00-04:00', to: '2026-05-16T00:00:00-04:00', preference: 'any', limit: '2' })
      .reply(200, { data: [sampleSlot, later] });
    await expect(
      appTester(perform, {
        authData,
        inputData: { from: '2026-05-15T00:00:00-04:00', to: '2026-05-16T00:00:00-04:00', preference: 'any', limit: 2 },
      }),
    ).resolves.toEqual([
      { id: sampleSlot.scheduled_at, ...sampleSlot },
      { id: later.scheduled_at, ...later },
    ]);
  });

  it('returns an empty list when no slot is open (a miss is not an error)', async () => {
    api().get('/api/v1/availability').query({ limit: '1' }).reply(200, { data: [] });
    await expect(appTester(perform, { authData, inputData: {} })).resolves.toEqual([]);
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().get('/api/v1/availability').query(true),
      () => appTester(perform, { authData, inputData: {} }),
      { repeatable: true },
    );
  });
});

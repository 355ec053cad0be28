import { CalendarUnblockResult } from '../../lib/schemas';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const create = App.creates.calendar_unblock;
const perform = create.operation.perform as never;

describe('calendar_unblock (Unblock Calendar Slot)', () => {
  useNock();

  it("asks for the block's external source and id, with help text", () => {
    const fields = create.operation.inputFields as Array<{ key: string; required?: boolean; helpText?: string }>;
    expect(fields.map((f) => [f.key, f.required])).toEqual([
      ['external_source', true],
      ['external_id', true],
    ]);
    for (const field of fields) expect(field.helpText).toMatch(/created with/);
  });

  it('DELETEs /availability/blocks?external_source=&external_id= and reports the removed block', async () => {
    const scope = api().delete('/api/v1/availability/blocks').query({ external_source: 'outlook', external_id: 'AAMk/42=' }).reply(204);
    const result = await appTester(perform, {
      authData,
      inputData: { external_source: 'outlook', external_id: 'AAMk/42=' },
    });
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({ id: 'outlook:AAMk/42=', external_source: 'outlook', external_id: 'AAMk/42=', unblocked: true });
    expect(() => CalendarUnblockResult.parse(result)).not.toThrow();
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().delete('/api/v1/availability/blocks').query(true),
      () => appTester(perform, { authData, inputData: { external_source: 'google_calendar', external_id: 'evt_abc123' } }),
      { repeatable: true },
    );
  });
});

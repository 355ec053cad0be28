import { CalendarBlock } from '../../contract/resources';
import { sampleBlock } from '../../contract/samples';
import { app as App, api, appTester, authData, itMapsApiErrors, useNock } from './helpers';

const create = App.creates.calendar_block;
const perform = create.operation.perform as never;
const inputData = {
  external_source: 'google_calendar',
  external_id: 'evt_abc123',
  starts_at: '2026-05-15T07:00:00-04:00',
  ends_at: '2026-05-15T07:30:00-04:00',
  title: 'External consultation',
};

describe('calendar_block (Block Calendar Slot)', () => {
  useNock();

  it("uses the API's field names with help text; start and end are datetimes", () => {
    const fields = create.operation.inputFields as Array<{ key: string; type?: string; required?: boolean; helpText?: string }>;
    expect(fields.map((f) => f.key)).toEqual(['external_source', 'external_id', 'starts_at', 'ends_at', 'title']);
    expect(fields.filter((f) => f.required).map((f) => f.key)).toEqual(['external_source', 'external_id', 'starts_at', 'ends_at']);
    expect(fields.filter((f) => f.type === 'datetime').map((f) => f.key)).toEqual(['starts_at', 'ends_at']);
    for (const field of fields) expect(field.helpText?.length).toBeGreaterThan(20);
  });

  it('POSTs the block to /availability/blocks (an upsert: no Idempotency-Key needed) and returns the saved block', async () => {
    api(['idempotency-key']).post('/api/v1/availability/blocks', inputData).reply(201, sampleBlock);
    const result = await appTester(perform, { authData, inputData });
    expect(result).toEqual(sampleBlock);
    expect(() => CalendarBlock.parse(result)).not.toThrow();
  });

  it('leaves out a blank title', async () => {
    const { title: _title, ...withoutTitle } = inputData;
    api()
      .post('/api/v1/availability/blocks', withoutTitle)
      .reply(200, { ...sampleBlock, title: null });
    await expect(appTester(perform, { authData, inputData: { ...inputData, title: '' } })).resolves.toMatchObject({
      title: null,
    });
  });

  describe('errors', () => {
    itMapsApiErrors(
      () => api().post('/api/v1/availability/blocks'),
      () => appTester(perform, { authData, inputData }),
      { repeatable: true },
    );
  });
});

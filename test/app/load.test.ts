/**
 * What loading the app costs (Zapier loads it cold, on every new Lambda): its definition needs
 * nothing beyond zapier-platform-core. The zod contract drives the samples and output fields, but
 * at build time (lib/output-fields.generated.ts, written by `npm run build`), not at load.
 */
function loadApp(): { triggers: object; creates: object; searches: object } {
  let app: { triggers: object; creates: object; searches: object } | undefined;
  jest.isolateModules(() => {
    app = require('../../index');
  });
  if (!app) throw new Error('the app did not load');
  return app;
}

describe('loading the app', () => {
  it('does not load zod', () => {
    jest.isolateModules(() => {
      jest.doMock('zod', () => {
        throw new Error('the app required zod while loading');
      });
      const app = require('../../index') as { triggers: object; creates: object; searches: object };
      expect(Object.keys(app.triggers).length).toBeGreaterThan(0);
      expect(Object.keys(app.creates).length).toBeGreaterThan(0);
      expect(Object.keys(app.searches).length).toBeGreaterThan(0);
    });
  });

  it('formats no date with Intl (the first Intl.DateTimeFormat of a process sets up ICU: tens of ms)', () => {
    const original = Intl.DateTimeFormat;
    const made: string[] = [];
    const spy = jest.spyOn(Intl, 'DateTimeFormat').mockImplementation((...args) => {
      made.push(new Error('made at').stack ?? ''); // where, should this fail
      return new original(...args);
    });
    try {
      expect(Object.keys(loadApp().triggers).length).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
    expect(made).toEqual([]);
  });
});

/**
 * What loading the app costs (Zapier loads it cold, on every new Lambda): its definition needs
 * nothing beyond zapier-platform-core. The zod contract drives the samples and output fields, but
 * at build time (lib/output-fields.generated.ts, written by `npm run build`), not at load.
 */
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
});

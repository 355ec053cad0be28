/**
 * The reference server's suite (`npm run test:server` from the repository root): API, webhooks,
 * dashboard and booking tests on PGlite and PostgreSQL (jest's global setup starts one throwaway
 * PostgreSQL server), and the dashboard in headless Chromium (test/browser).
 * jest, @swc/jest and TypeScript come from the root package's node_modules.
 */
const base = require('../jest.config');

module.exports = {
  ...base,
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/reliability/'],
  modulePathIgnorePatterns: ['<rootDir>/../dist/', '<rootDir>/../build/'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};

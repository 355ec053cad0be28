/**
 * `npm test` (what `zapier-platform test` runs): the app's nock unit tests (test/app) and its
 * end-to-end tests against a real reference server on the embedded database (test/e2e); and,
 * on its own (`npm run test:ship`), the ship path with Zapier's CLI (test/ship).
 * The server's own suite, on both databases and in a browser, is server/jest.config.js.
 */
module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/build/'],
  // The root index.js is Zapier's entry point (it loads the compiled dist/); tests load index.ts.
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json', 'node'],
  // Compiled output (dist/ holds a copy of package.json that tsc emits for the app's version).
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/build/'],
  transform: {
    '^.+\\.(ts|tsx|js|cjs)$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  // ESM-only packages (the e2e tests start the reference server in-process) that jest's CommonJS
  // runtime must see transpiled.
  transformIgnorePatterns: ['/node_modules/(?!(pg-boss|serialize-error|non-error|@electric-sql/pglite)/)'],
  testTimeout: 60000,
};

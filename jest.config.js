/** One jest run for everything: app unit tests, server tests on PGlite and PostgreSQL, e2e. */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/build/', '<rootDir>/test/reliability/'],
  // Compiled output (dist/ holds a copy of package.json that tsc emits for the app's version).
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/build/'],
  transform: {
    '^.+\\.(ts|tsx|js|cjs)$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  // ESM-only packages that jest's CommonJS runtime must see transpiled.
  transformIgnorePatterns: ['/node_modules/(?!(pg-boss|serialize-error|non-error|@electric-sql/pglite)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 60000,
};

// The entry point Zapier loads. Zapier's CommonJS wrapper (zapierwrapper.js, written into the
// build by `zapier-platform build`) requires ./index.js at the root of the app; the app itself is
// TypeScript (index.ts and its folders), compiled to dist/ by `npm run build`, which the CLI runs
// as the `_zapier-build` script before validate, build, push and test.
module.exports = require('./dist/index.js');

// Lints an OpenAPI document with Redocly's recommended ruleset (offline).
// Usage: node server/scripts/lint-openapi.mjs <file.json>; prints problems, exits 1 on any error.
import fs from 'node:fs';
import { createConfig, lintFromString } from '@redocly/openapi-core';

const file = process.argv[2];
if (!file) {
  console.error('usage: node server/scripts/lint-openapi.mjs <openapi.json>');
  process.exit(2);
}
const config = await createConfig({ extends: ['recommended'] });
const problems = await lintFromString({ source: fs.readFileSync(file, 'utf8'), absoluteRef: file, config });
const errors = problems.filter((p) => p.severity === 'error');
for (const p of problems) {
  const where = p.location?.[0]?.pointer ?? '';
  console.log(`${p.severity.padEnd(7)} ${p.ruleId.padEnd(32)} ${where} ${p.message}`);
}
console.log(`${errors.length} errors, ${problems.length - errors.length} warnings`);
process.exit(errors.length > 0 ? 1 : 0);

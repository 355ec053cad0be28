/**
 * Records what Zapier's compatibility checks (C001–C003) compare a new version with: every
 * operation of the version now public (its visibility, input field keys and sample keys), in
 * test/app/public-version.json. Run it on the commit of a version right after `zapier-platform
 * promote`, and commit the file:
 *
 *   npx tsx scripts/record-public-version.ts
 *
 * test/e2e/integration-checks.test.ts (C001, C002, C003) then fails on any later change that
 * hides or removes an operation, an input field or a sample key that version has.
 */
import fs from 'node:fs';
import path from 'node:path';

import App from '../index';

export const PUBLIC_VERSION_PATH = path.resolve(__dirname, '../test/app/public-version.json');

type Operation = {
  display?: { hidden?: boolean };
  operation?: { inputFields?: unknown[]; sample?: Record<string, unknown> };
};

function record(operations: Record<string, Operation> | undefined) {
  return Object.fromEntries(
    Object.entries(operations ?? {}).map(([key, op]) => [
      key,
      {
        hidden: op.display?.hidden === true,
        inputFields: (op.operation?.inputFields ?? []).flatMap((f) => (f && typeof f === 'object' && 'key' in f ? [String(f.key)] : [])),
        sampleKeys: Object.keys(op.operation?.sample ?? {}),
      },
    ]),
  );
}

const snapshot = {
  version: App.version,
  triggers: record(App.triggers as Record<string, Operation>),
  creates: record(App.creates as Record<string, Operation>),
  searches: record(App.searches as Record<string, Operation>),
  searchOrCreates: Object.keys(App.searchOrCreates ?? {}),
};
fs.writeFileSync(PUBLIC_VERSION_PATH, `${JSON.stringify(snapshot, null, 2)}\n`);
process.stdout.write(`Recorded version ${snapshot.version} in ${path.relative(process.cwd(), PUBLIC_VERSION_PATH)}\n`);

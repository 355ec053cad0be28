/** The OpenAPI document: covers the seed's Endpoint Reference and passes a standard linter. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from './support/server';

/** Every row of the seed's Endpoint Reference table, plus the peer-style lead routes. */
const SEED_ENDPOINTS: Array<[string, string]> = [
  ['get', '/api/v1/me'],
  ['get', '/api/v1/leads'],
  ['post', '/api/v1/leads'],
  ['get', '/api/v1/leads/{id}'],
  ['patch', '/api/v1/leads/{id}'],
  ['get', '/api/v1/agents'],
  ['get', '/api/v1/availability'],
  ['post', '/api/v1/appointments'],
  ['get', '/api/v1/appointments'],
  ['get', '/api/v1/appointments/{id}'],
  ['patch', '/api/v1/appointments/{id}'],
  ['delete', '/api/v1/appointments/{id}'],
  ['get', '/api/v1/campaigns'],
  ['post', '/api/v1/campaigns/{id}/contacts'],
  ['get', '/api/v1/campaigns/contacts'],
  ['get', '/api/v1/webhooks'],
  ['post', '/api/v1/webhooks'],
  ['delete', '/api/v1/webhooks/{id}'],
  ['post', '/api/v1/availability/blocks'],
  ['delete', '/api/v1/availability/blocks'],
];

describe('GET /api/v1/openapi.json', () => {
  let srv: TestServer;
  let doc: any;

  beforeAll(async () => {
    srv = await startTestServer('pglite');
    const res = await fetch(`${srv.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = await res.json();
  });
  afterAll(() => srv.close());

  it('is OpenAPI 3.1 without needing a key', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it.each(SEED_ENDPOINTS)('documents %s %s with its errors', (method, route) => {
    const op = doc.paths[route]?.[method];
    expect(op).toBeDefined();
    expect(op.operationId).toEqual(expect.any(String));
    for (const status of ['401', '429']) expect(op.responses[status]).toBeDefined();
    expect(op.responses['401'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
  });

  it('keeps the dev tools out of the public contract', () => {
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dev'))).toEqual([]);
  });

  it('passes the Redocly recommended ruleset with no errors or warnings', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qb-openapi-')), 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    let output = '';
    try {
      output = execFileSync(process.execPath, [path.join(__dirname, '../scripts/lint-openapi.mjs'), file], { encoding: 'utf8' });
    } catch (error) {
      throw new Error(`lint failed:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
    }
    expect(output).toMatch(/^0 errors, 0 warnings$/m);
  });
});

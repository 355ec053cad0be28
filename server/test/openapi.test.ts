/** The OpenAPI document: covers the seed's Endpoint Reference and passes a standard linter. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Spectral, type ISpectralDiagnostic } from '@stoplight/spectral-core';
import { oas } from '@stoplight/spectral-rulesets';
import { EVENT_TYPES, eventDataKey, UPDATE_EVENT_TYPES } from '../../contract';
import { startTestServer, type TestServer } from './support/server';

/** The headers every delivery carries (DESIGN: Standard Webhooks names and the X-QualifyBase-* aliases). */
const DELIVERY_HEADERS = [
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'X-QualifyBase-Delivery',
  'X-QualifyBase-Timestamp',
  'X-QualifyBase-Signature',
  'X-QualifyBase-Event',
];

/** The resource schema each event's `data` key carries. */
const DATA_SCHEMAS = { appointment: 'Appointment', contact: 'CampaignContact', lead: 'Lead' } as const;

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

  it("passes Spectral's spectral:oas ruleset with no errors or warnings", async () => {
    const spectral = new Spectral();
    spectral.setRuleset({ extends: [oas as never] });
    const results = await spectral.run(JSON.stringify(doc));
    const problems = results
      .filter((r: ISpectralDiagnostic) => r.severity <= 1)
      .map((r: ISpectralDiagnostic) => `${r.code} at ${r.path.join('.')}: ${r.message}`);
    expect(problems).toEqual([]);
  });

  it('declares every tag an operation or event uses, each with a description', () => {
    const used = new Set<string>();
    for (const group of [doc.paths, doc.webhooks]) {
      for (const item of Object.values<any>(group))
        for (const op of Object.values<any>(item)) for (const tag of op.tags ?? []) used.add(tag);
    }
    const declared = doc.tags.map((t: { name: string }) => t.name);
    expect(declared.slice().sort()).toEqual([...used].sort());
    for (const tag of doc.tags) expect(tag.description).toEqual(expect.stringMatching(/\w{3,}/));
  });

  it('lists the local reference server beside production', () => {
    expect(doc.servers).toEqual([
      expect.objectContaining({ url: 'https://www.qualifybase.com' }),
      expect.objectContaining({ url: 'http://127.0.0.1:{port}', variables: { port: expect.objectContaining({ default: '8787' }) } }),
    ]);
  });

  it('describes a delivery of each of the nine event types under webhooks, what changed with the update events', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
    expect(EVENT_TYPES).toHaveLength(9);
    for (const type of EVENT_TYPES) {
      const op = doc.webhooks[type].post;
      expect(op).toMatchObject({ operationId: expect.any(String), summary: expect.stringContaining(type) });
      const headers = op.parameters.filter((p: any) => p.in === 'header');
      expect(headers.map((p: any) => p.name)).toEqual(DELIVERY_HEADERS);
      for (const header of headers) expect(header).toMatchObject({ required: true, schema: { type: 'string' } });
      expect(op.responses['200']).toBeDefined();
      expect(op.responses['410']).toBeDefined();

      const ref: string = op.requestBody.content['application/json'].schema.$ref;
      const payload = doc.components.schemas[ref.replace('#/components/schemas/', '')];
      const typeSchema = payload.properties.type;
      expect(typeSchema.enum ?? [typeSchema.const]).toEqual([type]);
      const key = eventDataKey(type);
      const updates = (UPDATE_EVENT_TYPES as readonly string[]).includes(type);
      expect(payload.properties.data.required).toEqual(updates ? [key, 'previous_attributes'] : [key]);
      expect(payload.properties.data.properties[key]).toEqual({ $ref: `#/components/schemas/${DATA_SCHEMAS[key]}` });
      if (updates) {
        const previous = `${DATA_SCHEMAS[key]}PreviousAttributes`;
        expect(payload.properties.data.properties.previous_attributes).toEqual({ $ref: `#/components/schemas/${previous}` });
        const schema = doc.components.schemas[previous];
        expect({ additional: schema.additionalProperties, required: schema.required }).toEqual({ additional: false, required: undefined });
        expect(Object.keys(schema.properties)).toEqual(Object.keys(doc.components.schemas[DATA_SCHEMAS[key]].properties));
      }
      expect(payload.required).toEqual(expect.arrayContaining(['id', 'type', 'created', 'data']));
    }
  });
});

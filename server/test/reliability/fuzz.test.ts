/**
 * Property-based fuzzing of every public endpoint, discovered from the OpenAPI document (so a new
 * endpoint is fuzzed without touching this file). Malformed bodies, params, queries and headers
 * must answer a JSON 4xx, never a 5xx, and a refused request must write nothing.
 */
import fc from 'fast-check';
import { createApiKey } from '../../services/api-keys';
import { backends } from '../support/databases';
import { tableCounts } from '../support/db-counts';
import { rawRequest, startTestServer, type TestServer } from '../support/server';

const RUNS_PER_OPERATION = Number(process.env.QB_FUZZ_RUNS ?? 150);

interface Operation {
  method: string;
  path: string;
  hasBody: boolean;
  pathParams: string[];
  queryParams: string[];
}

function operationsOf(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'patch', 'put', 'delete'].includes(method)) continue;
      const params: any[] = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        hasBody: Boolean(op.requestBody),
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
      });
    }
  }
  return ops;
}

/** Strings that have broken parsers before: huge, unicode, SQL-ish, JSON-ish, control chars. */
const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    "'; drop table leads; --",
    '%00',
    '\u0000',
    '../../etc/passwd',
    '9'.repeat(400),
    '-1',
    '1e309',
    'NaN',
    'null',
    'true',
    '[]',
    '{}',
    '2026-02-30T25:61:00Z',
    '0000-00-00',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '00000000-0000-0000-0000-000000000000',
    'x'.repeat(5000),
  ),
);

const jsonValue = fc.jsonValue({ maxDepth: 3 });

/** JSON text nested `depth` levels deep, as objects, arrays or both (too deep for JSON.stringify). */
const deepJson = fc
  .record({ depth: fc.integer({ min: 12, max: 6000 }), shape: fc.constantFrom('object', 'array', 'mixed') })
  .map(({ depth, shape }) => {
    const open = (i: number) => (shape === 'array' || (shape === 'mixed' && i % 2 === 1) ? '[' : '{"a":');
    const close = (i: number) => (shape === 'array' || (shape === 'mixed' && i % 2 === 1) ? ']' : '}');
    let text = '';
    for (let i = 0; i < depth; i++) text += open(i);
    text += '1';
    for (let i = depth - 1; i >= 0; i--) text += close(i);
    return text;
  });

/** A deep value where a field is expected, or as the whole body. */
const deepBodyArb = fc.oneof(
  deepJson,
  fc
    .tuple(fc.constantFrom('external_metadata', 'name', 'full_name', 'email', 'events', 'url', 'status', 'scheduled_at', 'notes'), deepJson)
    .map(([key, deep]) => `{"email":"deep@example.com","phone":"+14155550100","${key}":${deep}}`),
);

/** Header values far over the limits: the request id, the key, and arbitrary headers. */
const oversizeHeadersArb = fc.record({
  name: fc.constantFrom('x-request-id', 'authorization', 'x-extra', 'content-type', 'idempotency-key'),
  size: fc.constantFrom(129, 1_000, 7_000, 15_000, 17_000, 40_000, 100_000),
  char: fc.constantFrom('a', '<', '%', ' ', '9'),
});

/** A body: random JSON, JSON with the right keys and wrong values, or not JSON at all. */
const bodyArb = fc.oneof(
  deepBodyArb,
  jsonValue.map((v) => JSON.stringify(v)),
  fc
    .dictionary(
      fc.constantFrom(
        'name',
        'phone',
        'email',
        'full_name',
        'source',
        'agent_id',
        'lead_id',
        'scheduled_at',
        'ends_at',
        'starts_at',
        'external_source',
        'external_id',
        'external_metadata',
        'url',
        'events',
        'status',
        'title',
        'interest',
        'city',
        'country',
        'notes',
        'assigned_to',
        '__proto__',
        'constructor',
      ),
      fc.oneof(jsonValue, nastyString),
    )
    .map((v) => JSON.stringify(v)),
  nastyString,
  fc.constantFrom('{', '{"a":', '[1,2', '\u0000', '{"__proto__": {"polluted": 1}}'),
);

const headerArb = fc.record({
  'content-type': fc.constantFrom(
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    '',
  ),
  'x-extra': fc.string({ maxLength: 200 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
});

describe.each(backends())('fuzzing every endpoint on %s', (backend) => {
  let srv: TestServer;
  let operations: Operation[];
  const keys: string[] = [];
  let requestsSent = 0;

  beforeAll(async () => {
    // One clinic takes every request: its own budget (QB_CLINIC_RATE_LIMIT) is raised as the keys' are.
    srv = await startTestServer(backend, { clinicRateLimitPerMinute: 1_000_000 });
    await srv.clinic('Fuzz Clinic');
    const doc = (await rawRequest(srv.url, 'GET', '/api/v1/openapi.json')).body;
    operations = operationsOf(doc);
    const clinicId = (await srv.running.deps.database.db.selectFrom('clinics').select('id').executeTakeFirstOrThrow()).id;
    // Fresh keys so the 120/min limit never turns the fuzz run into a 429 test.
    for (let i = 0; i < Math.ceil((operations.length * RUNS_PER_OPERATION * 1.2) / 100) + 1; i++) {
      keys.push((await createApiKey(srv.running.deps.database.db, clinicId, `fuzz ${i}`)).key);
    }
  });
  afterAll(() => srv.close());

  const nextKey = () => keys[Math.floor(requestsSent++ / 100)]!;

  it('discovers the public endpoints from the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
  });

  it('never answers a 5xx, always a JSON error for a 4xx, and writes nothing on refusal', async () => {
    const property = fc.asyncProperty(
      fc.nat(),
      fc.array(nastyString, { minLength: 3, maxLength: 3 }),
      fc.dictionary(
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom('page', 'per_page', 'limit', 'from', 'to', 'status', 'preference', 'search'),
        ),
        nastyString,
        { maxKeys: 4 },
      ),
      bodyArb,
      headerArb,
      async (opIndex, pathValues, query, body, headers) => {
        const op = operations[opIndex % operations.length]!;
        let path = op.path;
        op.pathParams.forEach((name, i) => {
          path = path.replace(`{${name}}`, encodeURIComponent(pathValues[i % pathValues.length]!) || 'x');
        });
        const qs = new URLSearchParams(query).toString();
        const before = await tableCounts(srv.running.deps.database);
        const res = await rawRequest(
          srv.url,
          op.method,
          `${path}${qs ? `?${qs}` : ''}`,
          op.hasBody || op.method !== 'GET' ? body : undefined,
          { ...headers, authorization: `Bearer ${nextKey()}` },
        );
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.body).toEqual(expect.objectContaining({ error: expect.any(String), code: expect.any(String) }));
          expect(await tableCounts(srv.running.deps.database)).toEqual(before);
        }
      },
    );
    await fc.assert(property, { numRuns: operations.length * RUNS_PER_OPERATION });
  });

  it('answers deeply nested bodies and oversize headers with a 4xx, never a 5xx, and writes nothing', async () => {
    const property = fc.asyncProperty(
      fc.nat(),
      deepBodyArb,
      oversizeHeadersArb,
      fc.boolean(),
      async (opIndex, body, oversize, withHeader) => {
        const op = operations.filter((o) => o.hasBody)[opIndex % operations.filter((o) => o.hasBody).length]!;
        const path = op.path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
        const value = oversize.char.repeat(oversize.size);
        const headers: Record<string, string> = { authorization: `Bearer ${nextKey()}`, 'content-type': 'application/json' };
        if (withHeader) headers[oversize.name] = oversize.name === 'authorization' ? `Bearer ${value}` : value;
        const before = await tableCounts(srv.running.deps.database);
        const res = await rawRequest(srv.url, op.method, path, body, headers);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        // Node itself refuses headers over 16 KB (431, no body); everything else is our JSON error.
        if (res.status !== 431) expect(res.body).toEqual(expect.objectContaining({ error: expect.any(String), code: expect.any(String) }));
        if (withHeader && oversize.name === 'x-request-id' && res.status !== 431) expect(res.headers.get('x-request-id')).not.toBe(value);
        expect(await tableCounts(srv.running.deps.database)).toEqual(before);
      },
    );
    await fc.assert(property, { numRuns: Math.max(60, Math.round(RUNS_PER_OPERATION / 2)) });
  });

  it('answers oversized bodies with 413 payload_too_large', async () => {
    const res = await rawRequest(srv.url, 'POST', '/api/v1/leads', JSON.stringify({ notes: 'x'.repeat(200_000) }), {
      authorization: `Bearer ${nextKey()}`,
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });
});

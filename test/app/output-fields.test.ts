/**
 * Every operation's outputFields are its contract schema's (lib/output-fields.ts), generated at
 * build time into lib/output-fields.generated.ts, and tell Zapier the truth about its sample.
 */
import fs from 'node:fs';

import { z } from 'zod';

import { OUTPUT_FIELD_SCHEMAS, outputFieldsFromSchema } from '../../lib/output-fields';
import { outputFields } from '../../lib/output-fields.generated';
import { GENERATED_PATH, renderOutputFields } from '../../scripts/generate-output-fields';
import { app as App } from './helpers';
import { SCHEMAS } from './operation-schemas';

type OutputField = { key: string; type?: string; list?: boolean };

/** What a sample value must be for the output field's declared type. */
function fits(field: OutputField, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (field.list) return Array.isArray(value) && value.every((item) => fits({ ...field, list: false }, item));
  switch (field.type) {
    case undefined:
      return true;
    case 'string':
      return typeof value === 'string';
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}

const operations = [...Object.values(App.triggers), ...Object.values(App.creates), ...Object.values(App.searches ?? {})] as Array<{
  key: string;
  operation: { sample: Record<string, unknown>; outputFields: OutputField[] };
}>;

describe('output fields', () => {
  it('lib/output-fields.generated.ts is what `npm run build` generates from the contract today', () => {
    // Fails when a schema changed without a build: run `npm run build` and commit the file.
    expect(fs.readFileSync(GENERATED_PATH, 'utf8')).toBe(renderOutputFields());
    expect(outputFields).toEqual(
      Object.fromEntries(Object.entries(OUTPUT_FIELD_SCHEMAS).map(([name, schema]) => [name, outputFieldsFromSchema(schema)])),
    );
  });

  it.each(operations.map((op) => [op.key, op] as const))("%s: its output fields are its contract schema's", (key, op) => {
    const schema = SCHEMAS[key as keyof typeof SCHEMAS];
    expect(schema).toBeDefined();
    // The dropdown triggers with a label add it to what the API lists.
    const expected = outputFieldsFromSchema(schema);
    const labelled = 'label' in op.operation.sample && !expected.some((f) => f.key === 'label');
    expect(op.operation.outputFields).toEqual(labelled ? [...expected, { key: 'label', label: 'Label', type: 'string' }] : expected);
  });

  it.each(operations.map((op) => [op.key, op] as const))('%s: each declared type fits its sample value', (_key, op) => {
    const misfits = op.operation.outputFields
      .filter((field) => !fits(field, op.operation.sample[field.key]))
      .map(
        (field) =>
          `${field.key}: ${field.type}${field.list ? '[]' : ''} but the sample has ${JSON.stringify(op.operation.sample[field.key])}`,
      );
    expect(misfits).toEqual([]);
  });

  it('declares no scalar type for an object property (Zapier shows its keys), and labels it', () => {
    const schema = z.object({
      metadata: z.record(z.string(), z.unknown()).nullable().meta({ title: 'Metadata' }),
      address: z.object({ city: z.string() }).meta({ title: 'Address' }),
    });
    expect(outputFieldsFromSchema(schema)).toEqual([
      { key: 'metadata', label: 'Metadata' },
      { key: 'address', label: 'Address' },
    ]);
  });
});

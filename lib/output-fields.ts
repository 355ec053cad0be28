/**
 * Labelled `outputFields` derived from the contract's zod schemas: each property's
 * `.meta({ title })` is its label, so labels live with the schema and cannot drift.
 */
import { z } from 'zod';

export interface OutputField {
  key: string;
  label: string;
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'datetime';
  list?: boolean;
}

type JsonSchema = {
  type?: string | string[];
  format?: string;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  title?: string;
};

/** The non-null variants of a property's JSON Schema. */
function variants(schema: JsonSchema): JsonSchema[] {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return alternatives.flatMap(variants);
  if (Array.isArray(schema.type)) {
    return schema.type.filter((t) => t !== 'null').map((type) => ({ ...schema, type }));
  }
  return schema.type === 'null' ? [] : [schema];
}

/** Zapier's type for a value; none for an object, whose keys Zapier shows as fields of their own. */
function scalarType(schema: JsonSchema): OutputField['type'] | undefined {
  if (schema.type === 'object') return undefined;
  if (schema.type === 'string' && schema.format === 'date-time') return 'datetime';
  switch (schema.type) {
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'string';
  }
}

function titleOf(property: z.ZodType, json: JsonSchema, key: string): string {
  const meta = property.meta() as { title?: unknown } | undefined;
  const title = typeof meta?.title === 'string' ? meta.title : json.title;
  if (!title) throw new Error(`Contract property "${key}" has no .meta({ title }) to label it with.`);
  return title;
}

function withType(field: OutputField, type: OutputField['type'] | undefined): OutputField {
  return type ? { key: field.key, label: field.label, type, ...(field.list ? { list: true } : {}) } : field;
}

export function outputFieldsFromSchema(schema: z.ZodObject): OutputField[] {
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, property]) => {
    const json = z.toJSONSchema(property, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
    const label = titleOf(property, json, key);
    const [first] = variants(json);
    if (first && first.type === 'array') {
      const [item] = variants(first.items ?? {});
      return withType({ key, label, list: true }, item ? scalarType(item) : 'string');
    }
    return withType({ key, label }, first ? scalarType(first) : 'string');
  });
}

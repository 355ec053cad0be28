/**
 * Labelled `outputFields` derived from the contract's zod schemas: each property's
 * `.meta({ title })` is its label, so labels live with the schema and cannot drift.
 *
 * Build time only: `npm run build` (scripts/generate-output-fields.ts) writes the output fields of
 * every schema in OUTPUT_FIELD_SCHEMAS to lib/output-fields.generated.ts, which the operations
 * use, so loading the app does not load zod or turn schemas into JSON Schema.
 * test/app/output-fields.test.ts fails when that file drifts from the contract.
 */
import { z } from 'zod';

import { Agent, Appointment, CalendarBlock, Campaign, CampaignContact, Lead } from '../contract/resources';
import { CalendarUnblockResult, FoundSlot, UpdatedAppointment, UpdatedLead } from './schemas';

/** The schemas of what the app's operations return, by the name lib/output-fields.generated.ts uses. */
export const OUTPUT_FIELD_SCHEMAS = {
  Agent,
  Appointment,
  CalendarBlock,
  CalendarUnblockResult,
  Campaign,
  CampaignContact,
  FoundSlot,
  Lead,
  UpdatedAppointment,
  UpdatedLead,
} satisfies Record<string, z.ZodObject>;

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

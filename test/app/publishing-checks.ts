/**
 * Zapier's publishing checks, run by our own tests because Zapier's checker needs its servers.
 * `publishingProblems` returns one line per problem; test/app/style.test.ts expects none for the
 * app and checks that each rule catches a broken definition.
 */
import type { z } from 'zod';

type Field = { key?: string; label?: string; helpText?: string };
type Operation = {
  key: string;
  noun?: string;
  display?: { label?: string; description?: string; hidden?: boolean };
  operation?: { sample?: Record<string, unknown>; inputFields?: unknown[]; outputFields?: unknown[] };
};
export type AppDefinition = {
  authentication?: { fields?: Field[] };
  triggers?: Record<string, Operation>;
  creates?: Record<string, Operation>;
  searches?: Record<string, Operation>;
};

/** Words that stay lower case inside a Title Case label (unless first). */
const SMALL_WORDS = new Set(['a', 'an', 'and', 'as', 'at', 'by', 'for', 'from', 'in', 'into', 'of', 'on', 'or', 'the', 'to', 'with']);

export function isTitleCase(label: string): boolean {
  return label.split(/\s+/).every((word, i) => {
    if (i > 0 && SMALL_WORDS.has(word)) return true;
    return /^[A-Z0-9]/.test(word);
  });
}

const CREATE_VERBS = /^(Creates|Adds|Blocks|Unblocks|Updates|Sends|Removes|Cancels|Books) /;

function fieldsOf(list: unknown[] | undefined): Field[] {
  return (list ?? []).filter((f): f is Field => Boolean(f) && typeof f === 'object');
}

function* strings(value: unknown, seen = new Set<unknown>()): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (value && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const item of Object.values(value)) yield* strings(item, seen);
  }
}

export function publishingProblems(app: AppDefinition, schemas: Record<string, z.ZodType>): string[] {
  const problems: string[] = [];
  const groups = [
    ['triggers', app.triggers],
    ['creates', app.creates],
    ['searches', app.searches],
  ] as const;

  for (const [group, operations] of groups) {
    for (const [key, op] of Object.entries(operations ?? {})) {
      const where = `${group}.${key}`;
      const label = op.display?.label ?? '';
      const description = op.display?.description ?? '';
      if (op.key !== key) problems.push(`${where}: key "${op.key}" differs from its map key`);
      if (!op.noun) problems.push(`${where}: no noun`);
      if (label && !isTitleCase(label)) problems.push(`${where}: label "${label}" is not Title Case`);
      if (description && !description.endsWith('.')) problems.push(`${where}: description does not end with "."`);
      if (group === 'triggers' && !description.startsWith('Triggers when ')) {
        problems.push(`${where}: description does not start with "Triggers when "`);
      }
      if (group === 'creates' && !CREATE_VERBS.test(description)) {
        problems.push(`${where}: description does not start with a verb such as "Creates "/"Adds "/"Blocks "`);
      }
      if (group === 'searches') {
        if (!label.startsWith('Find ')) problems.push(`${where}: label does not start with "Find "`);
        if (!description.startsWith('Finds ')) problems.push(`${where}: description does not start with "Finds "`);
      }
      for (const field of [...fieldsOf(op.operation?.inputFields), ...fieldsOf(op.operation?.outputFields)]) {
        if (field.label && !isTitleCase(field.label)) problems.push(`${where}: field label "${field.label}" is not Title Case`);
      }
      for (const field of fieldsOf(op.operation?.inputFields)) {
        if (!field.helpText) problems.push(`${where}: input field ${field.key} has no help text`);
      }

      if (op.display?.hidden) continue;
      if (!label) problems.push(`${where}: no label`);
      if (!description) problems.push(`${where}: no description`);
      const sample = op.operation?.sample;
      const schema = schemas[key];
      if (!sample) problems.push(`${where}: no static sample`);
      else if (typeof sample.id !== 'string' && typeof sample.id !== 'number') problems.push(`${where}: sample has no id`);
      if (!schema) problems.push(`${where}: no contract schema to check its sample against`);
      else if (sample) {
        const result = schema.safeParse(sample);
        if (!result.success) problems.push(`${where}: sample does not conform to its schema: ${result.error.message}`);
      }
    }
  }

  const authFields = app.authentication?.fields ?? [];
  for (const field of authFields) {
    if (field.label && !isTitleCase(field.label)) problems.push(`authentication: field label "${field.label}" is not Title Case`);
    if (!/\[[^\]]+\]\(https:\/\/[^)\s]+\)/.test(field.helpText ?? '')) {
      problems.push(`authentication: field ${field.key} help text has no markdown link to where the value is found`);
    }
  }

  for (const text of strings(app)) {
    for (const match of text.matchAll(/\bhttp:\/\/[^\s)"']+/g)) problems.push(`non-https URL in the definition: ${match[0]}`);
  }
  return problems;
}

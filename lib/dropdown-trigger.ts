/**
 * The one factory behind the hidden triggers that fill dynamic dropdowns (`*_list`): one page of
 * the API's list, newest first. A spec with `label` adds a `label` to each item for the dropdown
 * to show (its field's `dynamic` is then `<key>.id.label`); without one, items are returned as
 * the API lists them.
 */
import { defineTrigger } from 'zapier-platform-core';
import type { PollingTriggerPerform } from 'zapier-platform-core';

import { apiList } from './client';
import { DROPDOWN_PAGE_SIZE } from './config';
import type { OutputField } from './output-fields';

export interface DropdownTriggerSpec<$Key extends string, $Item extends { id: string }> {
  key: $Key;
  noun: string;
  /** "Triggers when ..." (Zapier requires a description even for a hidden trigger). */
  description: string;
  /** GET path and fixed query of the list. */
  list: { path: string; params?: Record<string, string> };
  /** The output fields of a listed item's contract schema (lib/output-fields.generated.ts). */
  outputFields: OutputField[];
  sample: $Item;
  /** The text the dropdown shows for an item, given the Zap's time zone (`bundle.meta.timezone`). */
  label?: (item: $Item, timeZone: string | null) => string;
}

export function createDropdownTrigger<const $Key extends string, $Item extends { id: string }>(spec: DropdownTriggerSpec<$Key, $Item>) {
  const labelled = (item: $Item, timeZone: string | null): $Item | ($Item & { label: string }) =>
    spec.label ? { ...item, label: spec.label(item, timeZone) } : item;

  const perform = (async (z, bundle) => {
    // Zapier's bundle.meta.page starts at 0; the API's page starts at 1.
    const items = await apiList<$Item>(z, spec.list.path, {
      ...spec.list.params,
      page: (bundle.meta?.page ?? 0) + 1,
      per_page: DROPDOWN_PAGE_SIZE,
    });
    return items.map((item) => labelled(item, bundle.meta?.timezone ?? null));
  }) satisfies PollingTriggerPerform<Record<string, never>, $Item>;

  const { outputFields } = spec;
  return defineTrigger({
    key: spec.key,
    noun: spec.noun,
    display: { label: `${spec.noun} List`, description: spec.description, hidden: true },
    operation: {
      type: 'polling',
      perform,
      canPaginate: true,
      sample: labelled(spec.sample, null),
      outputFields: spec.label ? [...outputFields, { key: 'label', label: 'Label', type: 'string' as const }] : outputFields,
    },
  });
}

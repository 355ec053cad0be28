/**
 * What the Updated Appointment and Updated Lead triggers add to the object they return: which
 * fields the update changed (`changed_fields`) and, for the fields a Zap is likely to use, the
 * value before it (`previous_<field>`, e.g. Previous Scheduled At for "moved from … to …"). They
 * come from the event's `data.previous_attributes` (the changed fields with their previous values,
 * Stripe's convention). A tracked field the update did not change has its current value as its
 * previous one, so every key is always there: the sample rows (performList, from the API's list)
 * get the same keys, with no change (`changed_fields` empty), and perform and performList return
 * one shape. The optional "Only When" input (`only_when`) keeps just the updates that changed one
 * of a filter's fields; a filtered-out delivery returns no item.
 */
import { defineInputField } from 'zapier-platform-core';

/** The fields whose previous value reaches the Zap, per update trigger. */
export const APPOINTMENT_TRACKED = ['scheduled_at', 'ends_at', 'status', 'assigned_to'] as const;
export const LEAD_TRACKED = ['status', 'agent_id', 'full_name', 'phone', 'email'] as const;

export interface ChangeFilter {
  /** The choice's label in the "Only When" dropdown. */
  label: string;
  /** The delivery passes when any of these fields changed. */
  fields: readonly string[];
}

export interface ChangeSpec {
  tracked: readonly string[];
  /** `only_when` value -> filter. */
  filters: Record<string, ChangeFilter>;
}

export type PreviousAttributes = Record<string, unknown>;

/** `data.previous_attributes` of an update event, or undefined when it carries none. */
export function previousAttributesOf(data: unknown): PreviousAttributes | undefined {
  const previous = data && typeof data === 'object' ? (data as { previous_attributes?: unknown }).previous_attributes : undefined;
  return previous && typeof previous === 'object' && !Array.isArray(previous) ? (previous as PreviousAttributes) : undefined;
}

/** The object with `changed_fields` and a `previous_<field>` for each tracked field. */
export function withChanges<$Item extends object>(item: $Item, previous: PreviousAttributes, tracked: readonly string[]) {
  const current = item as Record<string, unknown>;
  const before = Object.fromEntries(tracked.map((field) => [`previous_${field}`, field in previous ? previous[field] : current[field]]));
  return { ...item, changed_fields: Object.keys(previous), ...before };
}

/** Whether a delivery with these previous attributes passes the chosen filter (none chosen: every one). */
export function passesFilter(spec: ChangeSpec, onlyWhen: unknown, previous: PreviousAttributes | undefined): boolean {
  if (typeof onlyWhen !== 'string' || onlyWhen === '') return true;
  const filter = spec.filters[onlyWhen];
  // An unknown choice (a later version's, say) filters nothing out rather than everything.
  if (!filter) return true;
  return previous !== undefined && filter.fields.some((field) => field in previous);
}

/** The trigger's "Only When" dropdown. */
export function onlyWhenField(spec: ChangeSpec) {
  return defineInputField({
    key: 'only_when',
    label: 'Only When',
    required: false,
    choices: Object.entries(spec.filters).map(([value, { label }]) => ({ value, label, sample: value })),
    helpText: 'Leave blank to trigger on every change.',
  });
}

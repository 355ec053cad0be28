/**
 * Shapes the app returns that the API itself does not (so the contract has no schema for them).
 * Their samples are in lib/samples.ts and their output fields in lib/output-fields.generated.ts,
 * so loading the app does not load zod.
 */
import { z } from 'zod';

import { Appointment, Lead, Slot } from '../contract/resources';
import { APPOINTMENT_TRACKED, LEAD_TRACKED } from './changes';

/**
 * What "Unblock Calendar Slot" returns: DELETE /availability/blocks answers 204 with no body, so
 * the app reports which block it removed. `id` is `${external_source}:${external_id}`, stable
 * for one external event, so Zapier has an id to show and dedupe on.
 */
export const CalendarUnblockResult = z.object({
  id: z.string().meta({ title: 'Unblock ID' }),
  external_source: z.string().meta({ title: 'External Source' }),
  external_id: z.string().meta({ title: 'External ID' }),
  unblocked: z.literal(true).meta({ title: 'Unblocked' }),
});
export type CalendarUnblockResult = z.infer<typeof CalendarUnblockResult>;

/**
 * What "Find Available Slot" returns: an open slot from GET /availability with an `id` (its
 * `scheduled_at`, unique among open slots), so Zapier has an id while Starts At and Ends At map
 * straight into "Book Appointment".
 */
export const FoundSlot = z.object({
  id: z.string().meta({ title: 'Slot ID' }),
  ...Slot.shape,
});
export type FoundSlot = z.infer<typeof FoundSlot>;

/** `previous_<field>` for each tracked field: the field's own schema, titled "Previous <title>". */
function previousOf<$Shape extends Record<string, z.ZodType>, const $Field extends keyof $Shape & string>(
  shape: $Shape,
  fields: readonly $Field[],
): { [K in $Field as `previous_${K}`]: $Shape[K] } {
  return Object.fromEntries(
    fields.map((field) => {
      const schema: z.ZodType = shape[field];
      const title = (schema.meta() as { title?: string } | undefined)?.title ?? field;
      return [`previous_${field}`, schema.meta({ title: `Previous ${title}` })];
    }),
  ) as { [K in $Field as `previous_${K}`]: $Shape[K] };
}

const changedFields = z
  .array(z.string())
  .meta({ title: 'Changed Fields', description: "The fields this update changed (none in the editor's sample rows)." });

/**
 * What "Updated Appointment" returns (lib/changes.ts): the appointment, which fields the update
 * changed, and the start, end, status and agent before it.
 */
export const UpdatedAppointment = Appointment.extend({
  changed_fields: changedFields,
  ...previousOf(Appointment.shape, APPOINTMENT_TRACKED),
});
export type UpdatedAppointment = z.infer<typeof UpdatedAppointment>;

/** What "Updated Lead" returns: the lead, which fields changed, and its status, agent and contact details before. */
export const UpdatedLead = Lead.extend({
  changed_fields: changedFields,
  ...previousOf(Lead.shape, LEAD_TRACKED),
});
export type UpdatedLead = z.infer<typeof UpdatedLead>;

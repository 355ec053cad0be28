/**
 * Shapes the app returns that the API itself does not (so the contract has no schema for them).
 * Their samples are in lib/samples.ts and their output fields in lib/output-fields.generated.ts,
 * so loading the app does not load zod.
 */
import { z } from 'zod';

import { Slot } from '../contract/resources';

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

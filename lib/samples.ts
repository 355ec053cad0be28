/**
 * Static samples of the shapes in lib/schemas.ts (the app's own, not the API's). Type-only
 * imports keep this file free of zod at run time; test/app/style.test.ts checks each against its
 * schema.
 */
import { sampleSlot } from '../contract/samples';
import type { CalendarUnblockResult, FoundSlot } from './schemas';

export const sampleCalendarUnblockResult: CalendarUnblockResult = {
  id: 'google_calendar:evt_abc123',
  external_source: 'google_calendar',
  external_id: 'evt_abc123',
  unblocked: true,
};

export const sampleFoundSlot: FoundSlot = { id: sampleSlot.scheduled_at, ...sampleSlot };

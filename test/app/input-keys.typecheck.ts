/**
 * Type-level test: a perform reads `bundle.inputData` through the types its input fields infer
 * (`satisfies CreatePerform<InferInputData<typeof inputFields>, Result>`, as Zapier's TypeScript
 * scaffold does), so renaming a field key fails `tsc` instead of reaching the API as undefined.
 * `npm run typecheck` checks this file (tsconfig.json includes test/), and
 * test/app/input-keys.test.ts compiles it twice: as it is (no error: each `@ts-expect-error`
 * below meets its error) and without those comments (the errors appear, naming the keys).
 */
import type { CreatePerform, InferInputData, SearchPerform } from 'zapier-platform-core';

import type { Appointment } from '../../contract/resources';
import { type inputFields as bookFields, perform as book } from '../../creates/appointment';
import { type inputFields as findFields, perform as find } from '../../searches/find_appointment';

/** The same input fields with the key `$From` renamed to `$To`. */
type Renamed<$Fields extends readonly unknown[], $From extends string, $To extends string> = {
  [I in keyof $Fields]: $Fields[I] extends { key: $From } ? Omit<$Fields[I], 'key'> & { key: $To } : $Fields[I];
};

// The real performs fit their own fields.
book satisfies CreatePerform<InferInputData<typeof bookFields>, Appointment>;
find satisfies SearchPerform<InferInputData<typeof findFields>, Appointment>;

// Book Appointment's perform needs lead_id: fields that call it `lead` no longer provide it.
// @ts-expect-error lead_id renamed to lead
book satisfies CreatePerform<InferInputData<Renamed<typeof bookFields, 'lead_id', 'lead'>>, Appointment>;

// An optional field renamed: the perform's own reading of it fails, because `bundle` is typed from
// the fields (Book Appointment's fields with `title` renamed to `appointment_title`).
export const readsRenamedTitle = (async (_z, bundle) => {
  // @ts-expect-error title renamed to appointment_title
  const { lead_id, title } = bundle.inputData;
  return { id: `${lead_id}:${title}` };
}) satisfies CreatePerform<InferInputData<Renamed<typeof bookFields, 'title', 'appointment_title'>>, { id: string }>;

// The same for a search's optional filter.
export const readsRenamedStatus = (async (_z, bundle) => {
  // @ts-expect-error status renamed to appointment_status
  return [{ id: String(bundle.inputData.status) }];
}) satisfies SearchPerform<InferInputData<Renamed<typeof findFields, 'status', 'appointment_status'>>, { id: string }>;

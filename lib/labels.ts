/**
 * Readable labels: the dropdown labels of the hidden *_list triggers, and the labels of a
 * dropdown's choices.
 */
import type { Appointment, Lead } from '../contract/resources';

/** "paid_ads" -> "Paid Ads" */
export function titleCase(value: string): string {
  return value
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** Static dropdown choices for API enum values, each labelled in Title Case. */
export function choicesOf<const $Value extends string>(values: readonly $Value[]) {
  return values.map((value) => ({ value, label: titleCase(value), sample: value }));
}

type LeadContact = Pick<Lead, 'full_name' | 'phone' | 'email'>;

/** A lead's name, else its phone, else its email: what tells the user which lead it is. */
export function leadLabel({ full_name, phone, email }: LeadContact): string {
  return full_name?.trim() || phone || email || 'Lead without name or contact';
}

function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * "Fri, May 15, 2026, 11:00 AM UTC": what ICU's en-US format below says in UTC, without Intl. UTC
 * needs no time zone data, and the first Intl.DateTimeFormat of a process sets ICU up (tens of
 * ms), which loading the app would otherwise pay for the appointment_list sample's label.
 * test/app/labels.test.ts checks that it words every instant as ICU does.
 */
function utcInWords(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('Invalid time value'); // as Intl's format
  const hours = date.getUTCHours();
  const minutes = String(date.getUTCMinutes()).padStart(2, '0');
  const day = `${WEEKDAYS[date.getUTCDay()]}, ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
  return `${day}, ${hours % 12 || 12}:${minutes} ${hours < 12 ? 'AM' : 'PM'} UTC`;
}

/** "Fri, May 15, 2026, 7:00 AM EDT" in the given IANA time zone (UTC when none or unknown). */
export function timeInWords(instant: string, timeZone: string | null | undefined): string {
  if (!timeZone || timeZone === 'UTC' || !isTimeZone(timeZone)) return utcInWords(new Date(instant));
  return intlTimeInWords(instant, timeZone);
}

/** The same words as ICU's en-US format gives them in a known IANA time zone. */
export function intlTimeInWords(instant: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  })
    .format(new Date(instant))
    .replace(/\s/g, ' '); // ICU puts a narrow no-break space before AM/PM
}

/**
 * "Fri, May 15, 2026, 7:00 AM EDT – Alex Smith", with the status when it is not confirmed: the
 * start time in the Zap's time zone (as Zapier shows the user every other time) and the lead.
 */
export function appointmentLabel(
  appointment: Pick<Appointment, 'scheduled_at' | 'status' | 'lead_full_name' | 'lead_phone' | 'lead_email'>,
  timeZone: string | null | undefined,
): string {
  const lead = leadLabel({
    full_name: appointment.lead_full_name,
    phone: appointment.lead_phone,
    email: appointment.lead_email,
  });
  const status = appointment.status === 'confirmed' ? '' : ` (${titleCase(appointment.status)})`;
  return `${timeInWords(appointment.scheduled_at, timeZone)} – ${lead}${status}`;
}

/**
 * Checks for the string formats the schema subset supports. Stricter than ajv-formats where the
 * warehouses are stricter: date-time needs a colon in the offset, an upper-case T (or a space) and Z,
 * and rejects leap seconds, and uuid must be canonical (no urn: prefix), so every accepted value
 * loads as TIMESTAMP/DATE (DuckDB refuses `2024-05-01t12:34:56z`, and with it the whole lake object).
 */
export type FormatName = 'date-time' | 'date' | 'email' | 'uuid';

export const FORMAT_NAMES: readonly FormatName[] = ['date-time', 'date', 'email', 'uuid'];

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits2(s: string, at: number): number {
  return (s.charCodeAt(at) - 48) * 10 + (s.charCodeAt(at + 1) - 48);
}

/** Year, month and day at the start of a string already matched against a YYYY-MM-DD shape. */
function validCalendarDate(s: string): boolean {
  const year = digits2(s, 0) * 100 + digits2(s, 2);
  const month = digits2(s, 5);
  const day = digits2(s, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  if (month === 2 && day === 29) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= DAYS_IN_MONTH[month];
}

// Regexes beat hand-written scanners here (V8 compiles them to native code); the calendar is checked after.
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME =
  /^\d{4}-\d{2}-\d{2}[T ](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
// The HTML spec's "valid e-mail address" with a dotted domain; the length cap bounds regex work.
const EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/** RFC 3339 date-time with a timezone (Z or ±hh:mm), up to nanosecond precision; T and Z upper-case. */
export function isDateTime(s: string): boolean {
  return DATE_TIME.test(s) && validCalendarDate(s);
}

/** RFC 3339 full-date (YYYY-MM-DD) naming a real calendar day. */
export function isDate(s: string): boolean {
  return DATE.test(s) && validCalendarDate(s);
}

export function isEmail(s: string): boolean {
  return s.length <= 254 && EMAIL.test(s);
}

/** Canonical 8-4-4-4-12 hex form, either case. A plain loop measured a little faster than the regex. */
export function isUuid(s: string): boolean {
  if (s.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

export const FORMAT_CHECKS: Readonly<Record<FormatName, (s: string) => boolean>> = {
  'date-time': isDateTime,
  date: isDate,
  email: isEmail,
  uuid: isUuid,
};

/** Length in Unicode code points, as JSON Schema counts minLength/maxLength. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    n++;
  }
  return n;
}

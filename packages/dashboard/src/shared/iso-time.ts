/**
 * How a time typed as text (a filter in the API's query string or JSON body, the CLI's
 * `--created-after`, the dashboard's address) is read: ISO 8601 and nothing else, checked field by
 * field. `new Date(text)` is not used: it reads `7` as July 2001, `2025` as a year in one place and
 * a millisecond count in another, `01/12/2025` in the machine's order, and rolls `2025-02-30` over
 * into March, each of which turns a typo into a filter that selects far more jobs than meant.
 *
 * Accepted: a date, `2025-01-31` (midnight UTC), or a date and a time of day with its zone,
 * `2025-01-31T12:00Z`, `2025-01-31T12:00:05.250+02:00` (`T` or a space between them; seconds and
 * fractions optional). A time of day without a zone is refused: it would depend on the zone of the
 * machine that reads it.
 */
import type { ParseResult } from './data-filter.js';

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The accepted forms, for messages. */
export const ISO_TIME_FORMS = 'ISO 8601: 2025-01-31, or 2025-01-31T12:00:00Z with its zone';

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Reads an ISO 8601 date or date-time (see the file comment); the reason when it is not one. */
export function parseIsoTime(text: string): ParseResult<Date> {
  const notATime: ParseResult<Date> = { ok: false, error: `${JSON.stringify(text)} is not a time (${ISO_TIME_FORMS})` };
  const match = ISO_TIME.exec(text.trim());
  if (!match) return notATime;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return notATime;
  if (hour === undefined) return { ok: true, value: new Date(Date.UTC(y, mo - 1, d)) };
  if (zone === undefined) {
    return {
      ok: false,
      error: `${JSON.stringify(text)} has no time zone: add Z (UTC) or an offset such as +02:00 (${ISO_TIME_FORMS})`,
    };
  }
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second ?? 0);
  if (h > 23 || mi > 59 || s > 59) return notATime;
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetRest = Number(digits.slice(2));
    if (offsetHours > 23 || offsetRest > 59) return notATime;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  const ms = Number((fraction ?? '0').padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60_000;
  return { ok: true, value: new Date(utc) };
}

/**
 * Cron expressions: 5 fields (`minute hour day-of-month month day-of-week`), validated here with
 * messages that name the field at fault, then evaluated by `croner` (time-zone and DST aware).
 *
 * Accepted per field: `*`, a value, a range `a-b`, a step `* /n` or `a-b/n`, and comma lists of
 * those; month and day-of-week also take names (`JAN`, `MON`); day-of-week 7 is Sunday. The
 * macros `@yearly @annually @monthly @weekly @daily @midnight @hourly` are accepted too.
 * When both day-of-month and day-of-week are restricted, a day matching either runs (classic cron).
 */
import { Cron } from 'croner';
import { InvalidCronError } from '../errors/invalid-cron-error.js';

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const EXAMPLE = "a valid example: '*/15 9-17 * * MON-FRI' (every 15 minutes from 9:00 to 17:45, Monday to Friday)";

function fail(expression: string, problem: string): never {
  throw new InvalidCronError(
    expression,
    `Invalid cron expression '${expression}': ${problem}. Expected 5 fields 'minute hour day-of-month month day-of-week'; ${EXAMPLE}.`,
  );
}

function parseValue(expression: string, field: FieldSpec, token: string): number {
  const upper = token.toUpperCase();
  const named = field.names?.indexOf(upper) ?? -1;
  if (named >= 0) return field.names === FIELDS[3]?.names ? named + 1 : named;
  if (!/^\d+$/.test(token)) {
    const hint = field.names ? ` or a name (${field.names[0]}-${field.names[field.names.length - 1]})` : '';
    fail(expression, `${field.name} field has '${token}', which is not a number${hint}`);
  }
  const value = Number(token);
  if (value < field.min || value > field.max) {
    fail(expression, `${field.name} field value ${value} is out of range ${field.min}-${field.max}`);
  }
  return value;
}

function validatePart(expression: string, field: FieldSpec, part: string): void {
  if (part === '') fail(expression, `${field.name} field has an empty list item`);
  const [range, step, extra] = part.split('/');
  if (extra !== undefined) fail(expression, `${field.name} field '${part}' has more than one '/'`);
  if (step !== undefined) {
    if (!/^\d+$/.test(step) || Number(step) < 1) {
      fail(expression, `${field.name} field step '/${step}' must be a whole number of at least 1`);
    }
    // Day-of-week has 7 values (7 is another name for Sunday).
    const values = field.name === 'day-of-week' ? 7 : field.max - field.min + 1;
    if (Number(step) > values) {
      fail(
        expression,
        `${field.name} field step '/${step}' is larger than the field's ${values} values (${field.min}-${field.max})`,
      );
    }
    if (range !== '*' && !range?.includes('-')) {
      fail(expression, `${field.name} field '${part}': a step needs '*' or a range before it (e.g. '*/${step}')`);
    }
  }
  if (range === '*') return;
  const bounds = (range ?? '').split('-');
  if (bounds.length > 2) fail(expression, `${field.name} field range '${range}' has more than one '-'`);
  const [low, high] = bounds.map((bound) => parseValue(expression, field, bound));
  if (high !== undefined && low !== undefined && low > high) {
    fail(expression, `${field.name} field range '${range}' starts after it ends`);
  }
}

/**
 * Checks a cron expression and returns it in 5-field form (macros expanded).
 * @throws InvalidCronError naming the field at fault and showing a valid example
 */
export function validateCronExpression(expression: unknown): string {
  if (typeof expression !== 'string') {
    throw new InvalidCronError(
      String(expression),
      `Invalid cron expression: expected a string, got ${expression === null ? 'null' : typeof expression}; ${EXAMPLE}.`,
    );
  }
  const trimmed = expression.trim();
  if (trimmed.startsWith('@')) {
    const expanded = MACROS[trimmed.toLowerCase()];
    if (!expanded) fail(expression, `unknown macro '${trimmed}' (known: ${Object.keys(MACROS).join(', ')})`);
    return expanded;
  }
  const fields = trimmed.split(/\s+/).filter((field) => field !== '');
  if (fields.length !== 5) {
    fail(expression, `it has ${fields.length} field${fields.length === 1 ? '' : 's'}, not 5`);
  }
  fields.forEach((value, index) => {
    const field = FIELDS[index] as FieldSpec;
    for (const part of value.split(',')) validatePart(expression, field, part);
  });
  return fields.join(' ');
}

/**
 * Checks an IANA time zone name.
 * @returns `true` when the runtime knows the zone
 */
export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first cron time strictly after `after`.
 *
 * @param expression - a 5-field expression (validated)
 * @param after - the reference time
 * @param timezone - IANA zone the expression is read in (default UTC)
 */
export function nextCronTime(expression: string, after: Date, timezone = 'UTC'): Date {
  const normalized = validateCronExpression(expression);
  const cron = new Cron(normalized, { timezone, paused: true, mode: '5-part' });
  const next = cron.nextRun(after);
  cron.stop();
  if (!next) fail(expression, 'it never matches a date (e.g. 31 February)');
  return next;
}

import { describe, expect, it } from 'vitest';
import {
  InvalidCronError,
  isValidTimezone,
  MonqueErrorCode,
  nextCronTime,
  validateCronExpression,
} from '../src/index.js';

/** Runs `validateCronExpression` and returns the InvalidCronError it throws. */
function cronError(expression: unknown): InvalidCronError {
  try {
    validateCronExpression(expression);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidCronError);
    return error as InvalidCronError;
  }
  throw new Error(`expected ${String(expression)} to be rejected`);
}

describe('validateCronExpression', () => {
  it.each([
    ['*/5 * * * *', '*/5 * * * *'],
    ['0 9 * * MON-FRI', '0 9 * * MON-FRI'],
    ['0 0 1 jan,jul *', '0 0 1 jan,jul *'],
    ['  15   10 * *   7 ', '15 10 * * 7'],
    ['0-30/10 8-18 1,15 */3 0', '0-30/10 8-18 1,15 */3 0'],
    ['59 23 31 12 6', '59 23 31 12 6'],
    ['*/60 */24 */31 */12 */7', '*/60 */24 */31 */12 */7'],
    ['@daily', '0 0 * * *'],
    ['@HOURLY', '0 * * * *'],
    ['@weekly', '0 0 * * 0'],
    ['@monthly', '0 0 1 * *'],
    ['@yearly', '0 0 1 1 *'],
  ])('accepts %j as %j', (expression, normalized) => {
    expect(validateCronExpression(expression)).toBe(normalized);
  });

  it.each([
    ['60 * * * *', /minute field value 60 is out of range 0-59/],
    ['* 24 * * *', /hour field value 24 is out of range 0-23/],
    ['* * 0 * *', /day-of-month field value 0 is out of range 1-31/],
    ['* * * 13 *', /month field value 13 is out of range 1-12/],
    ['* * * * 8', /day-of-week field value 8 is out of range 0-7/],
    ['x * * * *', /minute field has 'x', which is not a number/],
    ['* * * FOO *', /month field has 'FOO', which is not a number or a name \(JAN-DEC\)/],
    ['* * * * funday', /day-of-week field has 'funday', which is not a number or a name \(SUN-SAT\)/],
    ['*/0 * * * *', /minute field step '\/0' must be a whole number of at least 1/],
    ['*/100 * * * *', /minute field step '\/100' is larger than the field's 60 values \(0-59\)/],
    ['0 */25 * * *', /hour field step '\/25' is larger than the field's 24 values/],
    ['0 0 */32 * *', /day-of-month field step '\/32' is larger than the field's 31 values/],
    ['0 0 * 1-12/13 *', /month field step '\/13' is larger than the field's 12 values/],
    ['0 0 * * */8', /day-of-week field step '\/8' is larger than the field's 7 values/],
    ['* */x * * *', /hour field step '\/x' must be a whole number/],
    ['5/2 * * * *', /minute field '5\/2': a step needs '\*' or a range before it/],
    ['*/2/3 * * * *', /minute field '\*\/2\/3' has more than one '\/'/],
    ['1-2-3 * * * *', /minute field range '1-2-3' has more than one '-'/],
    ['* 10-5 * * *', /hour field range '10-5' starts after it ends/],
    ['1,,2 * * * *', /minute field has an empty list item/],
    ['* * * *', /it has 4 fields, not 5/],
    ['0 * * * * *', /it has 6 fields, not 5/],
    ['*', /it has 1 field, not 5/],
    ['', /it has 0 fields, not 5/],
    ['@often', /unknown macro '@often' \(known: @yearly/],
  ])('rejects %j naming what is wrong', (expression, problem) => {
    const error = cronError(expression);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain(`'${expression}'`);
    expect(error.message).toContain('minute hour day-of-month month day-of-week');
    expect(error.message).toContain("a valid example: '*/15 9-17 * * MON-FRI'");
    expect(error.expression).toBe(expression);
    expect(error.code).toBe(MonqueErrorCode.INVALID_CRON);
  });

  it.each([
    [42, 'number'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{ cron: '* * * * *' }, 'object'],
  ])('rejects the non-string %j', (expression, kind) => {
    const error = cronError(expression);
    expect(error.message).toContain(`expected a string, got ${kind}`);
    expect(error.message).toContain('a valid example');
    expect(error.expression).toBe(String(expression));
  });
});

describe('nextCronTime', () => {
  it('returns the first matching time strictly after the reference (UTC by default)', () => {
    expect(nextCronTime('0 9 * * *', new Date('2024-01-01T10:00:00Z'))).toEqual(new Date('2024-01-02T09:00:00Z'));
    expect(nextCronTime('0 9 * * *', new Date('2024-01-01T08:59:59Z'))).toEqual(new Date('2024-01-01T09:00:00Z'));
    expect(nextCronTime('0 9 * * *', new Date('2024-01-01T09:00:00Z'))).toEqual(new Date('2024-01-02T09:00:00Z'));
    expect(nextCronTime('*/15 * * * *', new Date('2024-01-01T10:07:30Z'))).toEqual(new Date('2024-01-01T10:15:00Z'));
  });

  it('understands names, macros and Sunday as 7', () => {
    // 2024-01-01 is a Monday.
    expect(nextCronTime('30 8 * * FRI', new Date('2024-01-01T00:00:00Z'))).toEqual(new Date('2024-01-05T08:30:00Z'));
    expect(nextCronTime('0 0 * * 7', new Date('2024-01-01T00:00:00Z'))).toEqual(new Date('2024-01-07T00:00:00Z'));
    expect(nextCronTime('@monthly', new Date('2024-01-15T00:00:00Z'))).toEqual(new Date('2024-02-01T00:00:00Z'));
    expect(nextCronTime('0 0 29 FEB *', new Date('2024-03-01T00:00:00Z'))).toEqual(new Date('2028-02-29T00:00:00Z'));
  });

  it('reads the expression in the given time zone, across daylight saving time', () => {
    // Berlin is UTC+1 in winter and UTC+2 in summer.
    expect(nextCronTime('0 9 * * *', new Date('2024-01-15T00:00:00Z'), 'Europe/Berlin')).toEqual(
      new Date('2024-01-15T08:00:00Z'),
    );
    expect(nextCronTime('0 9 * * *', new Date('2024-07-15T00:00:00Z'), 'Europe/Berlin')).toEqual(
      new Date('2024-07-15T07:00:00Z'),
    );
    // New York is UTC-5 (EST) before 10 March 2024 and UTC-4 (EDT) after.
    expect(nextCronTime('0 12 * * *', new Date('2024-03-09T18:00:00Z'), 'America/New_York')).toEqual(
      new Date('2024-03-10T16:00:00Z'),
    );
    expect(nextCronTime('0 12 * * *', new Date('2024-03-08T18:00:00Z'), 'America/New_York')).toEqual(
      new Date('2024-03-09T17:00:00Z'),
    );
    expect(nextCronTime('0 9 * * *', new Date('2024-01-15T00:00:00Z'), 'UTC')).toEqual(
      new Date('2024-01-15T09:00:00Z'),
    );
  });

  it('rejects an expression that never matches', () => {
    expect(() => nextCronTime('0 0 31 2 *', new Date('2024-01-01T00:00:00Z'))).toThrow(InvalidCronError);
    expect(() => nextCronTime('0 0 31 2 *', new Date('2024-01-01T00:00:00Z'))).toThrow(/never matches a date/);
  });

  it('validates the expression first', () => {
    expect(() => nextCronTime('61 * * * *', new Date())).toThrow(/minute field value 61/);
  });
});

describe('isValidTimezone', () => {
  it.each(['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'])('accepts %s', (zone) => {
    expect(isValidTimezone(zone)).toBe(true);
  });

  it.each(['Mars/Olympus_Mons', 'Europe/Atlantis', 'not a zone'])('rejects %s', (zone) => {
    expect(isValidTimezone(zone)).toBe(false);
  });
});

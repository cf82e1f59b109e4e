/**
 * What the store recognises as a duplicate-key refusal: only an object whose `code` is exactly
 * 11000 (the number), whatever else is thrown (nothing, `null`, a string, a function).
 */
import { describe, expect, it } from 'vitest';
import { isDuplicateKeyError } from '../../src/store/job-document.js';

describe('isDuplicateKeyError', () => {
  it('an object with code 11000 is one; any other code or value is not, and nothing thrown breaks it', () => {
    expect(isDuplicateKeyError({ code: 11000 })).toBe(true);
    expect(isDuplicateKeyError(Object.assign(new Error('E11000 duplicate key'), { code: 11000 }))).toBe(true);
    for (const other of [
      { code: 11001 },
      { code: '11000' },
      {},
      new Error('E11000 duplicate key'),
      null,
      undefined,
      'E11000',
      11000,
      Object.assign(() => {}, { code: 11000 }),
    ]) {
      expect(isDuplicateKeyError(other), String(other)).toBe(false);
    }
  });
});

/**
 * Core's messages go through Nest's Logger (context 'Monque'): levels mapped, details appended as
 * JSON, and details that JSON cannot hold dropped rather than thrown.
 */
import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nestLogger } from '../src/index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('nestLogger', () => {
  it("maps core's levels to Nest's, with the details as JSON", () => {
    const calls: [string, unknown][] = [];
    for (const level of ['debug', 'log', 'warn', 'error'] as const) {
      vi.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, message: unknown) {
        calls.push([`${level}:${(this as unknown as { context?: string }).context}`, message]);
      });
    }
    const logger = nestLogger();
    logger.debug('retention: deleted expired documents', { jobs: 3 });
    logger.info('monque started');
    logger.warn('could not write job outcomes; retrying', { error: 'timeout' });
    logger.error('stop() gave up', {});
    nestLogger('Jobs').info('custom context', { bigint: 1n });
    expect(calls).toEqual([
      ['debug:Monque', 'retention: deleted expired documents {"jobs":3}'],
      ['log:Monque', 'monque started'],
      ['warn:Monque', 'could not write job outcomes; retrying {"error":"timeout"}'],
      ['error:Monque', 'stop() gave up'],
      ['log:Jobs', 'custom context'],
    ]);
  });
});

import { DITest, injector } from '@tsed/di';
import { describe, expect, it } from 'vitest';
import { Job, type JobFailureLogEntry } from '../src/index.js';
import { boot, monqueSettings, nextEvent, useTestApp } from './helpers/app.js';

const getDb = useTestApp(import.meta.url);

/** Fails every run; its payload holds a secret that must never reach the log. */
@Job({ name: 'charge-card' })
class ChargeCardJob {
  handle(data: { cardNumber: string }): never {
    throw new Error(`payment gateway refused the charge (${data.cardNumber.length} digits)`);
  }
}

/** Replaces the injector's logger with one that records what it is given. */
function recordLogs(): { warn: unknown[]; error: unknown[] } {
  const records = { warn: [] as unknown[], error: [] as unknown[] };
  const logger = injector().logger;
  injector().logger = Object.assign(Object.create(logger) as object, {
    warn: (...args: unknown[]) => records.warn.push(...args),
    error: (...args: unknown[]) => records.error.push(...args),
  }) as typeof logger;
  return records;
}

const SECRET = '4111111111111111';

describe('failed runs are logged through the Ts.ED logger', () => {
  it('a run that will be retried is a warning, the last failure an error; no job data in either', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db, { maxRetries: 2, baseRetryInterval: 10 }) });
    const logs = recordLogs();
    const finalFailure = nextEvent(monque, 'job:fail', ({ willRetry }) => !willRetry);
    const job = await monque.enqueue('charge-card', { cardNumber: SECRET });
    await finalFailure;

    const expected = (failCount: number, willRetry: boolean): JobFailureLogEntry => ({
      event: 'MONQUE_JOB_FAILED',
      jobName: 'charge-card',
      jobId: job._id.toHexString(),
      errorName: 'Error',
      error: 'payment gateway refused the charge (16 digits)',
      failCount,
      willRetry,
    });
    expect(logs.warn).toEqual([expected(1, true)]);
    expect(logs.error).toEqual([expected(2, false)]);
    expect(JSON.stringify([...logs.warn, ...logs.error])).not.toContain(SECRET);
    expect(ChargeCardJob).toBeTypeOf('function');
  });

  it('logFailures: false logs nothing', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db, { maxRetries: 1, logFailures: false }) });
    const logs = recordLogs();
    const failed = nextEvent(monque, 'job:fail');
    await monque.enqueue('charge-card', { cardNumber: SECRET });
    await failed;
    // Listeners run in registration order: a logger registered by the module would have run already.
    expect(logs).toEqual({ warn: [], error: [] });
  });

  it('stops logging when the application is destroyed', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db) });
    const listening = monque.listenerCount('job:fail');
    expect(listening).toBeGreaterThan(0);
    await DITest.reset();
    expect(monque.listenerCount('job:fail')).toBe(listening - 1);
  });
});

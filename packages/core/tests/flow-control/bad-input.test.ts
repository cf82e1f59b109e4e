/**
 * Bad flow-control input: a worker's `globalConcurrency`, `groupConcurrency` and `rateLimit` that
 * are out of range, of the wrong type or contradict each other (a `groupConcurrency` above
 * `globalConcurrency` could never be reached), a `group` on `getJobs`/`getGroupStats` input: an
 * `InvalidArgumentError` naming the option, and nothing registered or written.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Monque } from '../../src/index.js';
import { createMonque, jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

interface BadOption {
  options: Record<string, unknown>;
  path: string;
  got: string;
}

const BAD_FLOW: readonly BadOption[] = [
  { options: { globalConcurrency: 0 }, path: 'globalConcurrency', got: 'got 0' },
  { options: { globalConcurrency: -1 }, path: 'globalConcurrency', got: 'got -1' },
  { options: { globalConcurrency: 1.5 }, path: 'globalConcurrency', got: 'got 1.5' },
  { options: { globalConcurrency: 10_001 }, path: 'globalConcurrency', got: 'got 10001' },
  { options: { globalConcurrency: '2' }, path: 'globalConcurrency', got: "got '2'" },
  { options: { groupConcurrency: 0 }, path: 'groupConcurrency', got: 'got 0' },
  { options: { groupConcurrency: Number.NaN }, path: 'groupConcurrency', got: 'got NaN' },
  {
    options: { globalConcurrency: 2, groupConcurrency: 3 },
    path: 'groupConcurrency',
    got: 'must be at most globalConcurrency (2), got 3',
  },
  { options: { rateLimit: 100 }, path: 'rateLimit', got: 'got 100' },
  { options: { rateLimit: { duration: 1_000 } }, path: 'rateLimit.max', got: 'is required' },
  { options: { rateLimit: { max: 5 } }, path: 'rateLimit.duration', got: 'is required' },
  { options: { rateLimit: { max: 0, duration: 1_000 } }, path: 'rateLimit.max', got: 'got 0' },
  { options: { rateLimit: { max: 2.5, duration: 1_000 } }, path: 'rateLimit.max', got: 'got 2.5' },
  { options: { rateLimit: { max: 5, duration: -1 } }, path: 'rateLimit.duration', got: 'got -1' },
  { options: { rateLimit: { max: 5, duration: 0 } }, path: 'rateLimit.duration', got: 'got 0' },
  {
    options: { rateLimit: { max: 5, duration: Number.POSITIVE_INFINITY } },
    path: 'rateLimit.duration',
    got: 'got Infinity',
  },
  {
    options: { rateLimit: { max: 5, duration: 1_000, perGroup: 'yes' } },
    path: 'rateLimit.perGroup',
    got: "got 'yes'",
  },
  { options: { rateLimit: { max: 5, duration: 1_000, window: 1 } }, path: 'rateLimit.window', got: 'unknown option' },
];

async function expectRefused(call: () => unknown, argument: string, got: string): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (caught) {
    error = caught;
  }
  expect(error, `${argument} must be refused`).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument).toBe(argument);
  expect((error as InvalidArgumentError).message).toContain(got);
}

describe('bad flow-control options', () => {
  it.each(BAD_FLOW)('worker with $options → options.$path, no worker registered', async ({ options, path, got }) => {
    const monque: Monque = createMonque(await getDb());
    await expectRefused(() => monque.worker('job', () => {}, options as never), `options.${path}`, got);
    expect(() => monque.worker('job', () => {})).not.toThrow();
  });

  it('the limits at their bounds are accepted, and groupConcurrency equal to globalConcurrency', async () => {
    const monque = createMonque(await getDb());
    monque.worker('a', () => {}, { globalConcurrency: 1, groupConcurrency: 1 });
    monque.worker('b', () => {}, { globalConcurrency: 10_000, rateLimit: { max: 1, duration: 1 } });
    monque.worker('c', () => {}, {
      groupConcurrency: 10_000,
      rateLimit: { max: 1_000_000, duration: 1, perGroup: false },
    });
    await monque.start();
    await monque.stop();
  });

  it('getJobs and countJobs refuse a group that is not a string of at most 200 characters; nothing is read', async () => {
    const monque = createMonque(await getDb());
    await expectRefused(() => monque.getJobs({ group: 42 as never }), 'query.group', 'got 42');
    await expectRefused(() => monque.countJobs({ group: 'x'.repeat(201) }), 'query.group', '200');
    await expectRefused(() => monque.getJobs({ group: { $ne: null } as never }), 'query.group', 'query operator');
  });

  it('getGroupStats refuses a bad name or limit', async () => {
    const monque = createMonque(await getDb());
    await expectRefused(() => monque.getGroupStats('' as never), 'name', 'must not be empty');
    await expectRefused(() => monque.getGroupStats('a', { limit: 0 }), 'options.limit', 'got 0');
    await expectRefused(() => monque.getGroupStats('a', { limit: 1_001 }), 'options.limit', 'got 1001');
    await expectRefused(() => monque.getGroupStats('a', { top: 3 } as never), 'options.top', 'unknown option');
    expect(await jobsOf(await getDb(), monque).countDocuments({})).toBe(0);
  });
});

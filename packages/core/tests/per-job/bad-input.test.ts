/**
 * Bad per-job options on every method that takes them (`enqueue`, `enqueueMany` items, `schedule`,
 * `worker`): an `InvalidArgumentError` whose `argument` names the option's path, a message that
 * says what was expected and what came, and nothing written. Negative priorities are valid (they
 * run after the default 0); a priority must be an integer.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Monque } from '../../src/index.js';
import { createMonque, jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** A bad value of one option, and the path (below the options object) the error must name. */
interface BadOption {
  options: Record<string, unknown>;
  path: string;
  /** Part of the message: what came. */
  got: string;
}

const BAD_POLICY: readonly BadOption[] = [
  { options: { timeout: -1 }, path: 'timeout', got: 'got -1' },
  { options: { timeout: Number.NaN }, path: 'timeout', got: 'got NaN' },
  { options: { timeout: 0 }, path: 'timeout', got: 'got 0' },
  { options: { timeout: '100' }, path: 'timeout', got: "got '100'" },
  { options: { timeout: Number.POSITIVE_INFINITY }, path: 'timeout', got: 'got Infinity' },
  { options: { maxRetries: -1 }, path: 'maxRetries', got: 'got -1' },
  { options: { maxRetries: 2.5 }, path: 'maxRetries', got: 'got 2.5' },
  { options: { backoff: 'exponential' }, path: 'backoff', got: "got 'exponential'" },
  { options: { backoff: { type: 'linear', delay: 10 } }, path: 'backoff.type', got: "got 'linear'" },
  { options: { backoff: { delay: 10 } }, path: 'backoff.type', got: 'got undefined' },
  { options: { backoff: { type: 'fixed', delay: -5 } }, path: 'backoff.delay', got: 'got -5' },
  { options: { backoff: { type: 'fixed', delay: Number.NaN } }, path: 'backoff.delay', got: 'got NaN' },
  { options: { backoff: { type: 'fixed' } }, path: 'backoff.delay', got: 'got undefined' },
  { options: { backoff: { type: 'exponential', delay: 1, maxDelay: -1 } }, path: 'backoff.maxDelay', got: 'got -1' },
  { options: { backoff: { type: 'exponential', delay: 1, jitter: -0.1 } }, path: 'backoff.jitter', got: 'got -0.1' },
  { options: { backoff: { type: 'exponential', delay: 1, jitter: 1.5 } }, path: 'backoff.jitter', got: 'got 1.5' },
  {
    options: { backoff: { type: 'exponential', delay: 1, jitter: Number.NaN } },
    path: 'backoff.jitter',
    got: 'got NaN',
  },
  { options: { backoff: { type: 'fixed', delay: 1, factor: 2 } }, path: 'backoff.factor', got: 'unknown option' },
];

const BAD_PRIORITY: readonly BadOption[] = [
  { options: { priority: Number.NaN }, path: 'priority', got: 'got NaN' },
  { options: { priority: 1.5 }, path: 'priority', got: 'got 1.5' },
  { options: { priority: '3' }, path: 'priority', got: "got '3'" },
  { options: { priority: Number.NEGATIVE_INFINITY }, path: 'priority', got: 'got -Infinity' },
  { options: { priority: 2 ** 31 }, path: 'priority', got: `got ${2 ** 31}` },
];

/** Expects `attempt` to fail with an InvalidArgumentError naming `argument` and saying `got`. */
async function expectRefused(attempt: () => unknown, argument: string, got: string): Promise<void> {
  let error: unknown;
  try {
    await attempt();
  } catch (caught) {
    error = caught;
  }
  expect(error, `${argument} must be refused`).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument).toBe(argument);
  expect((error as InvalidArgumentError).message).toContain(got);
  expect((error as InvalidArgumentError).message.startsWith(`${argument}: `)).toBe(true);
}

async function expectNothingWritten(monque: Monque): Promise<void> {
  expect(await jobsOf(await getDb(), monque).countDocuments({})).toBe(0);
}

describe('bad per-job options', () => {
  it.each([...BAD_POLICY, ...BAD_PRIORITY])('enqueue with $options → options.$path', async ({ options, path, got }) => {
    const monque = createMonque(await getDb());
    await expectRefused(() => monque.enqueue('job', {}, options as never), `options.${path}`, got);
    await expectNothingWritten(monque);
  });

  it.each([...BAD_POLICY, ...BAD_PRIORITY])(
    'enqueueMany item with $options → jobs[1].options.$path, no item written',
    async ({ options, path, got }) => {
      const monque = createMonque(await getDb());
      const items = [
        { name: 'job', data: { good: true }, options: { priority: 1 } },
        { name: 'job', data: { good: false }, options },
      ];
      await expectRefused(() => monque.enqueueMany(items as never), `jobs[1].options.${path}`, got);
      await expectNothingWritten(monque);
    },
  );

  it.each([...BAD_POLICY, ...BAD_PRIORITY])(
    'schedule with $options → options.$path',
    async ({ options, path, got }) => {
      const monque = createMonque(await getDb());
      await expectRefused(() => monque.schedule('0 * * * *', 'job', {}, options as never), `options.${path}`, got);
      await expectNothingWritten(monque);
    },
  );

  it.each(BAD_POLICY)('worker with $options → options.$path, no worker registered', async ({ options, path, got }) => {
    const monque = createMonque(await getDb());
    await expectRefused(() => monque.worker('job', () => {}, options as never), `options.${path}`, got);
    // Nothing was registered: the name is still free.
    expect(() => monque.worker('job', () => {})).not.toThrow();
  });

  it('a worker takes no priority (jobs carry their own)', async () => {
    const monque = createMonque(await getDb());
    await expectRefused(
      () => monque.worker('job', () => {}, { priority: 1 } as never),
      'options.priority',
      'unknown option',
    );
  });

  it('accepts the edges: negative and extreme integer priorities, jitter 0 and 1, delay 0, maxRetries 0', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const accepted = [
      { priority: -1 },
      { priority: -(2 ** 31) },
      { priority: 2 ** 31 - 1 },
      { backoff: { type: 'exponential' as const, delay: 0 } },
      { backoff: { type: 'fixed' as const, delay: 10, jitter: 0 } },
      { backoff: { type: 'fixed' as const, delay: 10, jitter: 1, maxDelay: 0 } },
      { maxRetries: 0, timeout: 1 },
    ];
    for (const options of accepted) await monque.enqueue('edge', {}, options);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(accepted.length);
  });
});

/**
 * Bad deduplication options (`onDuplicate`, `debounce`, `maxWait`, `throttle`) on `enqueue` and
 * `enqueueMany` items: an `InvalidArgumentError` naming the option at fault, a message saying what
 * was wrong, and nothing written (neither a job nor a throttle window).
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MAX_DEDUPE_WINDOW_MS, type Monque } from '../../src/index.js';
import { THROTTLE_COLLECTION_SUFFIX } from '../../src/store/throttle-store.js';
import { createMonque, jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

interface BadCase {
  options: Record<string, unknown>;
  /** The option the error names, below the options object. */
  path: string;
  /** Part of the message. */
  says: string;
}

const key = { uniqueKey: 'k' };

const BAD: readonly BadCase[] = [
  { options: { debounce: 100 }, path: 'debounce', says: 'needs uniqueKey' },
  { options: { throttle: 100 }, path: 'throttle', says: 'needs uniqueKey' },
  { options: { onDuplicate: 'replace' }, path: 'onDuplicate', says: 'needs uniqueKey' },
  { options: { onDuplicate: 'keep' }, path: 'onDuplicate', says: 'needs uniqueKey' },
  { options: { ...key, maxWait: 100 }, path: 'maxWait', says: 'only applies with debounce' },
  { options: { maxWait: 100 }, path: 'maxWait', says: 'only applies with debounce' },
  { options: { ...key, throttle: 100, maxWait: 100 }, path: 'maxWait', says: 'only applies with debounce' },
  {
    options: { ...key, debounce: 1_000, maxWait: 999 },
    path: 'maxWait',
    says: 'must be at least debounce (1000 ms), got 999',
  },
  { options: { ...key, debounce: -1 }, path: 'debounce', says: 'got -1' },
  { options: { ...key, debounce: 0 }, path: 'debounce', says: 'got 0' },
  { options: { ...key, debounce: 1.5 }, path: 'debounce', says: 'got 1.5' },
  { options: { ...key, debounce: Number.NaN }, path: 'debounce', says: 'got NaN' },
  { options: { ...key, debounce: '100' }, path: 'debounce', says: "got '100'" },
  { options: { ...key, debounce: Number.POSITIVE_INFINITY }, path: 'debounce', says: 'got Infinity' },
  {
    options: { ...key, debounce: MAX_DEDUPE_WINDOW_MS + 1 },
    path: 'debounce',
    says: `got ${MAX_DEDUPE_WINDOW_MS + 1}`,
  },
  { options: { ...key, debounce: 10, maxWait: -1 }, path: 'maxWait', says: 'got -1' },
  { options: { ...key, debounce: 10, maxWait: 20.5 }, path: 'maxWait', says: 'got 20.5' },
  { options: { ...key, throttle: -5 }, path: 'throttle', says: 'got -5' },
  { options: { ...key, throttle: 0 }, path: 'throttle', says: 'got 0' },
  { options: { ...key, throttle: 2.5 }, path: 'throttle', says: 'got 2.5' },
  { options: { ...key, throttle: null }, path: 'throttle', says: 'got null' },
  { options: { ...key, onDuplicate: 'merge' }, path: 'onDuplicate', says: "expected 'keep' or 'replace', got 'merge'" },
  { options: { ...key, onDuplicate: true }, path: 'onDuplicate', says: 'got boolean true' },
  {
    options: { ...key, onDuplicate: 'replace', debounce: 100 },
    path: 'debounce',
    says: 'cannot be combined with onDuplicate',
  },
  {
    options: { ...key, onDuplicate: 'keep', throttle: 100 },
    path: 'throttle',
    says: 'cannot be combined with onDuplicate',
  },
  { options: { ...key, debounce: 100, throttle: 100 }, path: 'throttle', says: 'cannot be combined with debounce' },
  {
    options: { ...key, debounce: 100, runAt: new Date() },
    path: 'runAt',
    says: 'cannot be combined with debounce',
  },
  { options: { ...key, debounce: 100, maxWait: 50, throttle: 10 }, path: 'throttle', says: 'cannot be combined' },
  { options: { ...key, debounse: 100 }, path: 'debounse', says: "unknown option (did you mean 'debounce'?)" },
];

async function refusal(attempt: () => Promise<unknown>): Promise<InvalidArgumentError> {
  const error = await attempt().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(InvalidArgumentError);
  return error as InvalidArgumentError;
}

async function expectNothingWritten(monque: Monque): Promise<void> {
  const db = await getDb();
  expect(await jobsOf(db, monque).countDocuments()).toBe(0);
  const windows = db.collection(`${monque.options.collectionName}${THROTTLE_COLLECTION_SUFFIX}`);
  expect(await windows.countDocuments()).toBe(0);
}

describe('bad deduplication options', () => {
  it.each(BAD)('enqueue with $options → options.$path', async ({ options, path, says }) => {
    const monque = createMonque(await getDb());
    const error = await refusal(() => monque.enqueue('job', {}, options as never));
    expect(error.argument).toBe(`options.${path}`);
    expect(error.message).toContain(says);
    await expectNothingWritten(monque);
  });

  it.each(BAD)(
    'enqueueMany item with $options → jobs[1].options.$path, no item written',
    async ({ options, path, says }) => {
      const monque = createMonque(await getDb());
      const error = await refusal(() =>
        monque.enqueueMany([
          { name: 'job', data: {}, options: { uniqueKey: 'fine', throttle: 10 } },
          { name: 'job', data: {}, options: options as never },
        ]),
      );
      expect(error.argument).toBe(`jobs[1].options.${path}`);
      expect(error.message).toContain(says);
      await expectNothingWritten(monque);
    },
  );

  it('schedule takes no deduplication mode', async () => {
    const monque = createMonque(await getDb());
    const error = await refusal(() =>
      monque.schedule('0 * * * *', 'job', {}, { uniqueKey: 'k', debounce: 5 } as never),
    );
    expect(error.argument).toBe('options.debounce');
    await expectNothingWritten(monque);
  });

  it('accepts the edges: 1 ms, maxWait equal to debounce, the longest window, runAt with throttle and replace', async () => {
    const monque = createMonque(await getDb());
    await monque.enqueue('a', {}, { uniqueKey: 'k', debounce: 1, maxWait: 1 });
    await monque.enqueue('b', {}, { uniqueKey: 'k', throttle: MAX_DEDUPE_WINDOW_MS, runAt: new Date() });
    await monque.enqueue('c', {}, { uniqueKey: 'k', onDuplicate: 'replace', runAt: new Date() });
    await monque.enqueue('d', {}, { uniqueKey: 'k', debounce: MAX_DEDUPE_WINDOW_MS, maxWait: MAX_DEDUPE_WINDOW_MS });
    expect(await jobsOf(await getDb(), monque).countDocuments()).toBe(4);
  });
});

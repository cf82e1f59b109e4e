/**
 * The `group` option of `enqueue`, `enqueueMany` items and `schedule`: stored on the job as `group`,
 * returned on the public `Job`, absent when not given; bad values (not a string, empty or blank,
 * longer than 200 characters) are an `InvalidArgumentError` naming the option, and nothing is written.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MAX_GROUP_LENGTH, type Monque } from '../../src/index.js';
import { createMonque, jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const BAD_GROUPS: readonly { group: unknown; got: string }[] = [
  { group: 42, got: 'got 42' },
  { group: null, got: 'got null' },
  { group: { $ne: 'a' }, got: 'a query operator object' },
  { group: ['a'], got: 'got an array' },
  { group: '', got: 'must not be empty' },
  { group: '   ', got: 'must not be empty' },
  { group: 'x'.repeat(MAX_GROUP_LENGTH + 1), got: `at most 200 characters, got ${MAX_GROUP_LENGTH + 1}` },
  { group: 'x'.repeat(600), got: 'at most 200 characters, got 600' },
];

async function refusal(attempt: () => Promise<unknown>): Promise<InvalidArgumentError> {
  const error = await attempt().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(InvalidArgumentError);
  return error as InvalidArgumentError;
}

async function stored(monque: Monque) {
  return jobsOf(await getDb(), monque)
    .find({})
    .sort({ _id: 1 })
    .toArray();
}

describe('group', () => {
  it('enqueue stores it on the job and returns it; without it the job has no group field', async () => {
    const monque = createMonque(await getDb());
    const grouped = await monque.enqueue('import', { file: 1 }, { group: 'tenant-42' });
    const plain = await monque.enqueue('import', { file: 2 });
    expect(grouped.group).toBe('tenant-42');
    expect('group' in plain).toBe(false);
    const [first, second] = await stored(monque);
    expect(first?.group).toBe('tenant-42');
    expect(second && 'group' in second).toBe(false);
    expect(await monque.getJob(grouped._id)).toMatchObject({ group: 'tenant-42' });
  });

  it('takes exactly 200 characters, and a group with a unique key', async () => {
    const monque = createMonque(await getDb());
    const longest = 'g'.repeat(MAX_GROUP_LENGTH);
    const job = await monque.enqueue('import', {}, { group: longest, uniqueKey: 'k' });
    expect(job.group).toBe(longest);
    expect((await stored(monque))[0]?.group).toBe(longest);
  });

  it('enqueueMany stores each item’s own group', async () => {
    const monque = createMonque(await getDb());
    const jobs = await monque.enqueueMany([
      { name: 'import', data: { n: 1 }, options: { group: 'a' } },
      { name: 'import', data: { n: 2 } },
      { name: 'import', data: { n: 3 }, options: { group: 'b', uniqueKey: 'k3' } },
    ]);
    expect(jobs.map((job) => job.group)).toEqual(['a', undefined, 'b']);
    const db = await getDb();
    const groups = await Promise.all(
      jobs.map(async (job) => (await jobsOf(db, monque).findOne({ _id: job._id }))?.group),
    );
    expect(groups).toEqual(['a', undefined, 'b']);
  });

  it('schedule stores it; re-scheduling changes it, and without it removes it', async () => {
    const monque = createMonque(await getDb());
    const first = await monque.schedule('0 * * * *', 'report', {}, { group: 'tenant-1' });
    expect(first.group).toBe('tenant-1');
    const moved = await monque.schedule('0 * * * *', 'report', {}, { group: 'tenant-2' });
    expect(moved._id.equals(first._id)).toBe(true);
    expect(moved.group).toBe('tenant-2');
    const removed = await monque.schedule('0 * * * *', 'report', {});
    expect('group' in removed).toBe(false);
    const all = await stored(monque);
    expect(all).toHaveLength(1);
    expect(all[0] && 'group' in all[0]).toBe(false);
  });

  it.each(BAD_GROUPS)(
    'enqueue with group $group is refused naming options.group, nothing written',
    async ({ group, got }) => {
      const monque = createMonque(await getDb());
      const error = await refusal(() => monque.enqueue('import', {}, { group } as never));
      expect(error.argument).toBe('options.group');
      expect(error.message).toContain(got);
      expect(await stored(monque)).toEqual([]);
    },
  );

  it.each(BAD_GROUPS)(
    'an enqueueMany item with group $group is refused naming it, no item written',
    async ({ group, got }) => {
      const monque = createMonque(await getDb());
      const error = await refusal(() =>
        monque.enqueueMany([
          { name: 'import', data: {}, options: { group: 'fine' } },
          { name: 'import', data: {}, options: { group } as never },
        ]),
      );
      expect(error.argument).toBe('jobs[1].options.group');
      expect(error.message).toContain(got);
      expect(await stored(monque)).toEqual([]);
    },
  );

  it.each(BAD_GROUPS)(
    'schedule with group $group is refused naming options.group, nothing written',
    async ({ group, got }) => {
      const monque = createMonque(await getDb());
      const error = await refusal(() => monque.schedule('0 * * * *', 'report', {}, { group } as never));
      expect(error.argument).toBe('options.group');
      expect(error.message).toContain(got);
      expect(await stored(monque)).toEqual([]);
    },
  );
});

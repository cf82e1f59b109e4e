import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { createMonque, jobsOf, useTestDb, waitForStatus } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('smoke', () => {
  it('a chain runs in order', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const order: string[] = [];
    monque.worker('step', async (job, { dependencies }) => {
      order.push((job.data as { n: number }).n.toString());
      return { n: (job.data as { n: number }).n, deps: (await dependencies()).map((d) => d.result) };
    });
    const a = await monque.enqueue('step', { n: 1 });
    const b = await monque.enqueue('step', { n: 2 }, { dependsOn: [a._id] });
    const c = await monque.enqueue('step', { n: 3 }, { dependsOn: [b._id, a._id] });
    expect(b.status).toBe(JobStatus.WAITING);
    await monque.start();
    const done = await waitForStatus(db, monque, c._id, JobStatus.COMPLETED);
    expect(order).toEqual(['1', '2', '3']);
    expect(done.result).toEqual({
      n: 3,
      deps: [
        { n: 2, deps: [{ n: 1, deps: [] }] },
        { n: 1, deps: [] },
      ],
    });
    await monque.stop();
    expect(await jobsOf(db, monque).findOne({ _id: a._id })).not.toHaveProperty('notifyDependents');
  });

  it('a flow', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('fetch', (job) => job.data);
    monque.worker('report', async (_job, { dependencies }) => (await dependencies()).map((d) => d.result));
    const tree = await monque.flow({
      name: 'report',
      data: {},
      children: [
        { name: 'fetch', data: { part: 1 } },
        { name: 'fetch', data: { part: 2 } },
      ],
    });
    expect(tree.job.status).toBe('waiting');
    await monque.start();
    const done = await waitForStatus(db, monque, tree.job._id, JobStatus.COMPLETED);
    await monque.stop();
    expect(done.result).toEqual([{ part: 1 }, { part: 2 }]);
  });
});

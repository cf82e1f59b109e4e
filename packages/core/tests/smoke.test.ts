import { describe, expect, it } from 'vitest';
import { JobStatus } from '../src/index.js';
import { createMonque, nextEvent, useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('smoke', () => {
  it('runs an enqueued job', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const seen: unknown[] = [];
    monque.worker('hello', (job) => {
      seen.push(job.data);
    });
    await monque.start();
    const job = await monque.enqueue('hello', { a: 1 });
    const { job: done } = await nextEvent(monque, 'job:complete');
    expect(done._id).toEqual(job._id);
    expect(done.status).toBe(JobStatus.COMPLETED);
    expect(seen).toEqual([{ a: 1 }]);
    await monque.stop();
  });
});

/**
 * `enqueueMany`: order kept, unique keys respected (within the batch and against active jobs), a
 * bad item rejected by index with nothing written, and 1000 jobs in at most two commands.
 */
import { freshCollectionName } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, JobStatus, Monque } from '../src/index.js';
import { openCommandLog } from './helpers/command-log.js';
import { createMonque, jobsOf, useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('enqueueMany', () => {
  it('returns the jobs in the order given, all pending and stored', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const items = Array.from({ length: 6 }, (_, i) => ({ name: i % 2 === 0 ? 'even' : 'odd', data: { i } }));
    const jobs = await monque.enqueueMany(items);
    expect(jobs.map((job) => [job.name, job.data])).toEqual(items.map((item) => [item.name, item.data]));
    expect(jobs.every((job) => job.status === JobStatus.PENDING)).toBe(true);
    const stored = await jobsOf(db, monque).find({}).toArray();
    expect(stored.map((job) => job._id.toHexString()).sort()).toEqual(jobs.map((job) => job._id.toHexString()).sort());
  });

  it('respects unique keys: an active job keeps its key, duplicates in the batch share one job', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const existing = await monque.enqueue('mail', { v: 'existing' }, { uniqueKey: 'a' });
    const jobs = await monque.enqueueMany([
      { name: 'mail', data: { v: 'dup of existing' }, options: { uniqueKey: 'a' } },
      { name: 'mail', data: { v: 'first b' }, options: { uniqueKey: 'b' } },
      { name: 'mail', data: { v: 'plain' } },
      { name: 'mail', data: { v: 'second b' }, options: { uniqueKey: 'b' } },
      { name: 'other', data: { v: 'other a' }, options: { uniqueKey: 'a' } },
    ]);
    expect(jobs).toHaveLength(5);
    expect(jobs[0]?._id).toEqual(existing._id);
    expect(jobs[0]?.data).toEqual({ v: 'existing' });
    expect(jobs[3]?._id).toEqual(jobs[1]?._id);
    expect(jobs[1]?.data).toEqual({ v: 'first b' });
    expect(jobs[4]?._id).not.toEqual(existing._id);
    const collection = jobsOf(db, monque);
    expect(await collection.countDocuments({})).toBe(4);
    expect(await collection.countDocuments({ name: 'mail', uniqueKey: 'a' })).toBe(1);
    expect(await collection.countDocuments({ name: 'mail', uniqueKey: 'b' })).toBe(1);
  });

  it('rejects a bad item naming its index, and writes nothing', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const bad = [
      { name: 'ok', data: {} },
      { name: 'ok', data: {} },
      { name: '', data: {} },
    ];
    const error = await monque.enqueueMany(bad).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain('jobs[2]');
    const badRunAt = [
      { name: 'ok', data: {} },
      { name: 'ok', data: {}, options: { runAt: new Date('not a date') } },
    ];
    await expect(monque.enqueueMany(badRunAt)).rejects.toThrow(/jobs\[1\]/);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
  });

  it('enqueues 1000 jobs in at most two database commands', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      // A fresh instance: index creation counts too.
      const monque = new Monque(log.db, { collectionName: freshCollectionName(db) });
      const jobs = await monque.enqueueMany(Array.from({ length: 1000 }, (_, i) => ({ name: 'bulk', data: { i } })));
      expect(jobs).toHaveLength(1000);
      expect(log.commandNames().length, `commands: ${log.commandNames().join(', ')}`).toBeLessThanOrEqual(2);
      expect(log.commandNames()).toContain('insert');
      expect(await db.collection(monque.options.collectionName).countDocuments({})).toBe(1000);
    } finally {
      await log.close();
    }
  });
});

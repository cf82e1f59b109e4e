import { cleanupTestDb, freshCollectionName, getTestDb } from '@monque/test-backend';
import { type Db, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  afterMailOutage,
  cancelOne,
  failedJobsOf,
  maintenanceWindow,
  operatedMonque,
  queueSummary,
  retryOne,
} from '../snippets/operating-the-queue.js';

describe('the samples of "Operating the queue"', () => {
  let db: Db;

  beforeAll(async () => {
    db = await getTestDb(import.meta.url);
  });

  afterAll(async () => {
    await cleanupTestDb(db);
  });

  it('page, summarise, cancel, retry and clean up as the guide says', async () => {
    const collectionName = freshCollectionName(db);
    const monque = operatedMonque(db, collectionName);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const now = new Date();
      const failed = (name: string, customerId: number) => ({
        _id: new ObjectId(),
        name,
        data: { customer: { id: customerId } },
        status: 'failed' as const,
        nextRunAt: now,
        lockedAt: null,
        failCount: 3,
        failReason: 'smtp timeout',
        createdAt: now,
        updatedAt: now,
        finishedAt: now,
      });
      await db
        .collection(collectionName)
        .insertMany([
          ...Array.from({ length: 150 }, () => failed('send-email', 7)),
          failed('send-email', 8),
          { ...failed('export', 7), status: 'completed' },
        ]);
      expect(await failedJobsOf(monque, 7)).toHaveLength(150);

      const pending = await monque.enqueue('send-newsletter', { issue: 12 });
      expect(await queueSummary(monque)).toContainEqual(
        expect.stringMatching(/^send-newsletter: 1 pending \(1 due\), oldest due since \d{4}-/),
      );
      expect(await cancelOne(monque, pending._id.toHexString())).toBe('cancelled');
      expect(await cancelOne(monque, pending._id.toHexString())).toBe('cancelled');
      const [completed] = (await monque.getJobs({ status: 'completed' })).jobs;
      expect(await cancelOne(monque, completed?._id.toHexString() as string)).toBe('it is completed');
      expect(await cancelOne(monque, new ObjectId().toHexString())).toBe('no such job');

      expect((await retryOne(monque, pending._id.toHexString()))?.status).toBe('pending');
      expect(await retryOne(monque, pending._id.toHexString())).toBeNull();

      expect(await afterMailOutage(monque, new Date(now.getTime() - 60_000))).toBe(151);
      expect(await monque.countJobs({ name: 'send-newsletter', status: 'cancelled' })).toBe(1);

      await maintenanceWindow(monque, async () => {
        expect(await monque.getPaused()).toEqual(['sync-crm']);
      });
      expect(log).toHaveBeenLastCalledWith([]);
    } finally {
      log.mockRestore();
      await db.collection(`${collectionName}_control`).deleteMany({});
    }
  });
});

import { cleanupTestDb, freshCollectionName, getTestDb } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { quickstart } from '../snippets/quickstart.js';

describe('the quickstart on the docs site', () => {
  let db: Db;

  beforeAll(async () => {
    db = await getTestDb(import.meta.url);
  });

  afterAll(async () => {
    await cleanupTestDb(db);
  });

  it('processes both jobs it enqueues and stops cleanly', async () => {
    const collectionName = freshCollectionName(db);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const sent = await quickstart(db, { collectionName, pollInterval: 50 });

      expect(sent.sort()).toEqual(['ada@example.com', 'grace@example.com']);
      const jobs = await db.collection(collectionName).find({}).toArray();
      expect(jobs).toHaveLength(2);
      expect(jobs.map((job) => job.status)).toEqual(['completed', 'completed']);
      expect(jobs.map((job) => job.name)).toEqual(['send-welcome-email', 'send-welcome-email']);
      expect(log).toHaveBeenCalledWith(expect.stringMatching(/^send-welcome-email [0-9a-f]{24} completed in \d+ ms$/));
      expect(errors, 'the job:fail listener must not fire').not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
      errors.mockRestore();
    }
  });
});

import { readFile } from 'node:fs/promises';
import { cleanupTestDb, freshCollectionName, getTestDb } from '@monque/test-backend';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../examples/quick-start.js';

let db: Awaited<ReturnType<typeof getTestDb>> | undefined;
afterAll(async () => {
  if (db) await cleanupTestDb(db);
});

describe('the README example', () => {
  it('runs: the welcome e-mail job is processed and the cron job is scheduled once', async () => {
    db = await getTestDb(import.meta.url);
    const collectionName = freshCollectionName(db);
    const sent = await main(db, { collectionName, pollInterval: 50 });
    expect(sent).toEqual([expect.stringMatching(/^ada@example\.com: Welcome! \(job [0-9a-f]{24}\)$/)]);
    const jobs = db.collection(collectionName);
    expect(await jobs.countDocuments({ name: 'purge-expired-sessions' })).toBe(1);
    expect(await jobs.countDocuments({ name: 'send-welcome-email', status: 'completed' })).toBe(1);
  });

  it('is included verbatim in the README', async () => {
    const example = await readFile(new URL('../examples/quick-start.ts', import.meta.url), 'utf8');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(example.trim());
  });
});

/**
 * What an instance saw of other instances' locks survives its unrelated errors: one dropped poll
 * now and then (less often than `lockTimeout`) does not make it forget the lock of a dead owner, so
 * that job is still recovered; only the time this instance could not reach the database is not
 * counted.
 */
import { freshCollectionName, type WireCommand } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { faultyMonque, isDueRead } from '../helpers/faulty.js';
import { jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const LOCK_TIMEOUT = 1_500;
/** One poll is dropped this often: less often than `lockTimeout`, so a lock is watched across drops. */
const DROP_EVERY_MS = 1_000;

describe('a dead owner whose lock is watched by an instance with occasional errors', () => {
  it('is recovered: a dropped poll now and then does not reset what was seen', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      lockTimeout: LOCK_TIMEOUT,
      staleCheckInterval: 100,
      // Judged by watching only: never stale at first sight.
      clockSkewTolerance: Number.POSITIVE_INFINITY,
    });
    const now = new Date();
    const { insertedId } = await jobsOf(db, monque).insertOne({
      name: 'orphan',
      data: {},
      status: JobStatus.PROCESSING,
      nextRunAt: now,
      priority: 0,
      lockedAt: now,
      failCount: 0,
      attempts: 1,
      createdAt: now,
      updatedAt: now,
      owner: 'gone',
      claimToken: 'claim-of-gone',
    } as never);
    monque.worker('orphan', () => {}, { concurrency: 2 });
    let lastDrop = 0;
    const drops = proxy.dropRequest(
      (command: WireCommand) => {
        if (!isDueRead(command) || Date.now() - lastDrop < DROP_EVERY_MS) return false;
        lastDrop = Date.now();
        return true;
      },
      { times: Number.POSITIVE_INFINITY },
    );
    const recovered = nextEvent(monque, 'job:recovered', ({ job }) => job._id.equals(insertedId), 12_000);
    await monque.start();
    await recovered;
    await monque.stop();
    // The drops did happen while the lock was watched (on main, each one reset the watch).
    expect(drops.hits).toBeGreaterThanOrEqual(2);
  }, 20_000);
});

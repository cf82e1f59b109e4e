/**
 * `schedule()` and `unschedule()` on the bad day: a call cut off at any of its commands and made
 * again ends with the schedule asked for (a changed cron once stayed with the old cron's due time,
 * because the new cron was written first and the due time moved by a second command); a run that
 * ends while `unschedule()` runs does not hide the schedule from it; and a lost reply says the call
 * may have been applied.
 */
import { freshCollectionName, type WireCommand } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

/** Noon, so the old cron's next time (03:00) is the next day and the new one's (every 5 min) at 12:05. */
const NOON = new Date('2026-06-15T12:00:00.000Z');

describe('a schedule() changing the cron, cut off at one of its commands, then called again', () => {
  for (const fault of ['loseReply', 'dropRequest'] as const) {
    for (const nth of [1, 2, 3]) {
      it(`${fault} of its command #${nth}: the new cron is stored with its own due time`, async () => {
        const db = await getDb();
        const collectionName = freshCollectionName(db);
        const { monque, proxy } = await faultyMonque(db, collectionName, { clock: new TestClock(NOON) });
        const first = await monque.schedule('0 3 * * *', 'report', {}, { timezone: 'UTC' });
        expect(first.nextRunAt).toEqual(new Date('2026-06-16T03:00:00.000Z'));
        let seen = 0;
        const onJobs = (command: WireCommand) => command.collection === collectionName && ++seen === nth;
        const rule = fault === 'loseReply' ? proxy.loseReply(onJobs) : proxy.dropRequest(onJobs);
        const cut = await monque.schedule('*/5 * * * *', 'report', {}, { timezone: 'UTC' }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(rule.hits).toBe(1);
        expect(cut).toBeInstanceOf(ConnectionError);
        const again = await monque.schedule('*/5 * * * *', 'report', {}, { timezone: 'UTC' });
        const stored = await jobsOf(db, monque).find({ name: 'report' }).toArray();
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject({
          repeatInterval: '*/5 * * * *',
          nextRunAt: new Date('2026-06-15T12:05:00.000Z'),
        });
        expect(again).toMatchObject({ repeatInterval: '*/5 * * * *', nextRunAt: new Date('2026-06-15T12:05:00.000Z') });
      });
    }
  }
});

describe('unschedule() while the schedule runs', () => {
  it('a run that ends between its writes (pending again for its next time): the schedule is removed, and it says so', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const { monque: operator, proxy } = await faultyMonque(db, collectionName);
    const worker = createMonque(db, { collectionName, pollInterval: 20 });
    const release = deferred();
    worker.worker('tick', () => release.promise);
    const job = await operator.schedule('*/5 * * * *', 'tick', {});
    await operator.rescheduleJob(job._id, new Date());
    const started = nextEvent(worker, 'job:start');
    await worker.start();
    await started;
    // The delete (of a pending schedule) reaches the job while it runs; its reply is held while
    // the run ends and the job becomes pending for its next time.
    const held = proxy.delayReplies({ name: 'delete' }, 3_000);
    const completed = nextEvent(worker, 'job:complete');
    const removing = operator.unschedule('tick');
    await held.firstHit;
    release.resolve();
    await completed;
    expect(await removing).toBe(true);
    await worker.stop();
    expect(await operator.getSchedules({ name: 'tick' })).toEqual([]);
    expect(await jobsOf(db, operator).countDocuments({ name: 'tick', status: 'pending' })).toBe(0);
  });
});

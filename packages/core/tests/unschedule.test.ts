/**
 * `unschedule()`: removes a recurring job; a running occurrence is its last; one-off jobs of the
 * same name and other schedules are untouched; bad input writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Job, JobStatus } from '../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('unschedule()', () => {
  it('deletes a pending recurring job and leaves one-off jobs and other schedules of the name alone', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const nightly = await monque.schedule('0 3 * * *', 'report', { kind: 'nightly' });
    const hourly = await monque.schedule('0 * * * *', 'report', { kind: 'hourly' }, { uniqueKey: 'hourly' });
    const oneOff = await monque.enqueue('report', { kind: 'manual' }, { runAt: new Date(Date.now() + 60_000) });

    expect(await monque.unschedule('report')).toBe(true);

    const jobs = jobsOf(db, monque);
    expect(await jobs.findOne({ _id: nightly._id })).toBeNull();
    expect((await jobs.findOne({ _id: hourly._id }))?.repeatInterval).toBe('0 * * * *');
    expect((await jobs.findOne({ _id: oneOff._id }))?.status).toBe(JobStatus.PENDING);
    expect(await monque.unschedule('report')).toBe(false);
    expect(await monque.unschedule('report', { uniqueKey: 'hourly' })).toBe(true);
    expect(await jobs.countDocuments({ repeatInterval: { $exists: true } })).toBe(0);
  });

  it('lets a running occurrence finish as the last one: it completes and is not rescheduled', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    monque.worker('sync', () => release.promise);
    const job = await monque.schedule('*/5 * * * *', 'sync', {});
    await jobsOf(db, monque).updateOne({ _id: job._id }, { $set: { nextRunAt: new Date() } });
    await monque.start();
    await nextEvent(monque, 'job:start');

    expect(await monque.unschedule('sync')).toBe(true);
    // The name is free again at once: a new schedule is a new job.
    const replacement = await monque.schedule('0 0 * * *', 'sync', {});
    expect(replacement._id.equals(job._id)).toBe(false);

    const completed = nextEvent(monque, 'job:complete');
    release.resolve();
    const { job: last } = await completed;
    expect(last.status).toBe(JobStatus.COMPLETED);
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(stored.status).toBe(JobStatus.COMPLETED);
    expect(stored.repeatInterval).toBeUndefined();
    expect(await jobsOf(db, monque).countDocuments({ repeatInterval: { $exists: true } })).toBe(1);
    await monque.stop();
  });

  it.each([
    ['an empty name', '', undefined, 'name'],
    ['an operator object as name', { $gt: '' }, undefined, 'name'],
    ['a non-string uniqueKey', 'report', { uniqueKey: 7 }, 'options.uniqueKey'],
    ['an unknown option', 'report', { timezone: 'UTC' }, 'options.timezone'],
  ])('rejects %s and writes nothing', async (_what, name, options, argument) => {
    const db = await getDb();
    const monque = createMonque(db);
    const kept = await monque.schedule('0 3 * * *', 'report', {});
    const error = await monque.unschedule(name as string, options as { uniqueKey?: string }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect(await jobsOf(db, monque).findOne({ _id: kept._id })).not.toBeNull();
  });
});

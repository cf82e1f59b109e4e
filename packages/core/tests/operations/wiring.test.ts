/**
 * `Operations` built directly, with recording dependencies: what it tells the engine (pause
 * changes, jobs that became pending) and what it logs, independently of how `Monque` wires it.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { MonqueEventEmitter } from '../../src/events.js';
import { JobStatus } from '../../src/index.js';
import type { Logger } from '../../src/monque-options.js';
import { Operations } from '../../src/operations.js';
import { DEFAULT_OPTIONS } from '../../src/options.js';
import { InsertStore } from '../../src/store/insert-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { ObjectIds } from '../../src/store/object-ids.js';
import { createWorkflows } from '../../src/workflows.js';
import { TestClock } from '../helpers/test-clock.js';
import { jobDocument, rememberSideCollections, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);

function build(db: Db) {
  const calls: string[] = [];
  const logged: string[] = [];
  const collectionName = freshCollectionName(db);
  rememberSideCollections(collectionName);
  const clock = new TestClock('2030-05-05T05:05:05Z');
  const logger: Logger = {
    debug: () => {},
    info: (message, context) => logged.push(`${message} ${JSON.stringify(context)}`),
    warn: () => {},
    error: () => {},
  };
  let ready = 0;
  const collection = db.collection<JobDocument>(collectionName);
  const ids = new ObjectIds(db);
  const events = new MonqueEventEmitter();
  const operations = new Operations({
    db,
    collection,
    collectionName,
    ids,
    clock,
    events,
    logger,
    operationTimeout: 10_000,
    retention: DEFAULT_OPTIONS.retention,
    ready: async () => {
      ready += 1;
    },
    onPauseChanged: () => calls.push('pause changed'),
    onJobsPending: (name, at) => calls.push(`pending ${name ?? '*'} ${at?.toISOString()}`),
    workflows: createWorkflows({
      collection,
      inserts: new InsertStore(collection),
      ids,
      clock,
      events,
      retention: DEFAULT_OPTIONS.retention,
      onReleased: () => {},
    }),
  });
  return {
    operations,
    calls,
    logged,
    clock,
    collection: db.collection<JobDocument>(collectionName),
    ready: () => ready,
  };
}

describe('Operations and the engine', () => {
  it('tells the engine about pause changes and jobs that became pending', async () => {
    const db = await getDb();
    const { operations, calls, clock, collection, ready } = build(db);
    const failed = jobDocument({ name: 'a', status: JobStatus.FAILED });
    const cancelled = jobDocument({ name: 'b', status: JobStatus.CANCELLED });
    const pending = jobDocument({ name: 'c', status: JobStatus.PENDING });
    await collection.insertMany([failed, cancelled, pending]);
    const now = clock.now().toISOString();
    const later = new Date('2031-01-01T00:00:00Z');

    await operations.pause('a');
    await operations.resume();
    await operations.retryJob(failed._id);
    await operations.rescheduleJob(pending._id, later);
    await operations.retryJobs({ name: 'b' });
    await operations.retryJobs({}); // nothing left to retry: no wake-up
    expect(calls).toEqual([
      'pause changed',
      'pause changed',
      `pending a ${now}`,
      `pending c ${later.toISOString()}`,
      `pending b ${now}`,
    ]);
    expect(ready()).toBe(6);
  });

  it('logs operator actions without job data', async () => {
    const db = await getDb();
    const { operations, logged, collection } = build(db);
    await collection.insertOne(jobDocument({ status: JobStatus.PENDING, data: { secret: 'hunter2' } }));
    await operations.cancelJobs({ data: { secret: 'hunter2' } });
    await operations.pause('x');
    expect(logged).toEqual([
      'cancelJobs: jobs cancelled or asked to stop {"count":1}',
      'paused a job name {"name":"x"}',
    ]);
    expect(logged.join()).not.toContain('hunter2');
  });
});

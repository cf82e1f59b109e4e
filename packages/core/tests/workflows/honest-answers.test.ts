/**
 * What `enqueue` with `dependsOn` and `flow()` answer when a fault hits them after something was
 * written, black-box through a wire-level fault proxy: a call resolves when its jobs exist and will
 * run, and never rejects saying "nothing was written" (`mayHaveBeenApplied: false`) when it may
 * have been.
 */
import { commandDocuments, freshCollectionName, type WireCommand, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { ConnectionError, type FlowSpec, JobStatus } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { useTestDb } from '../helpers/monque.js';
import { rawJobs, stored } from './helpers.js';

const getDb = useTestDb(import.meta.url);

/** The write that ends the linking of new dependents (`$unset` of `linkPending`). */
const isLinked = (command: WireCommand): boolean =>
  command.name === 'update' &&
  commandDocuments(command, 'updates').some(
    (update) => 'linkPending' in ((update.u as { $unset?: object } | undefined)?.$unset ?? {}),
  );

const spec: FlowSpec = { name: 'report', data: {}, children: [{ name: 'fetch', data: { part: 1 } }] };

describe('enqueue with dependsOn after its insert landed', () => {
  it('the linking dropped: it resolves with the one job, and the sweep links it', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      staleCheckInterval: 200,
      lockTimeout: 60_000,
    });
    const dependency = await monque.enqueue('dependency', {}, { runAt: new Date(Date.now() + 3_600_000) });
    const dropped = proxy.dropRequest(isLinked);
    const dependent = await monque.enqueue('dependent', {}, { dependsOn: [dependency._id] });
    expect(dropped.hits).toBe(1);
    expect(dependent.status).toBe(JobStatus.WAITING);
    expect(await rawJobs(db, monque).countDocuments({ name: 'dependent' })).toBe(1);
    expect(await stored(db, monque, dependent._id)).toMatchObject({ linkPending: true });
    await monque.start();
    await waitUntil(async () => (await stored(db, monque, dependent._id))?.linkPending === undefined, 'linked');
    await monque.stop();
    expect(await stored(db, monque, dependency._id)).toMatchObject({ notifyDependents: true });
    expect(await rawJobs(db, monque).countDocuments({ name: 'dependent' })).toBe(1);
  });
});

describe('flow() whose commit reply is lost and its read-back dropped', () => {
  it('the discard finds the root live: flow() resolves, and the flow is live', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { staleCheckInterval: 3_600_000 });
    await monque.countJobs();
    const lost = proxy.loseReply({ name: 'findAndModify' });
    const readBack = proxy.dropRequest({ name: 'find' });
    const tree = await monque.flow(spec);
    expect([lost.hits, readBack.hits]).toEqual([1, 1]);
    expect(tree.job.status).toBe(JobStatus.WAITING);
    expect(await rawJobs(db, monque).countDocuments({ status: { $in: ['waiting', 'pending'] } })).toBe(2);
  });

  it('the discard dropped too: flow() rejects saying it may have been applied (it was)', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { staleCheckInterval: 3_600_000 });
    await monque.countJobs();
    proxy.loseReply({ name: 'findAndModify' });
    proxy.dropRequest({ name: 'find' });
    const discard = proxy.dropRequest({ name: 'delete' });
    const error = await monque.flow(spec).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(discard.hits).toBe(1);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).mayHaveBeenApplied).toBe(true);
    expect((error as Error).message).toMatch(/may have been applied/);
    expect(await rawJobs(db, monque).countDocuments({ name: 'report', status: JobStatus.WAITING })).toBe(1);
  });
});

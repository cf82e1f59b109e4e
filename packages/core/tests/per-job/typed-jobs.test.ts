/**
 * Typed jobs: `new Monque<JobMap>(db)` checks job names and payloads at compile time in `enqueue`,
 * `now`, `enqueueMany`, `worker`, `schedule`, `unschedule`, the queries (`getJobs`, `countJobs`,
 * `getStats`), `pause`/`resume` and events (a listener's job narrows by `job.name`); without a type
 * argument every name and payload is accepted, as before.
 *
 * The type-level half is checked by the core typecheck (`npx tsc --noEmit -p packages/core`): each
 * `@ts-expect-error` below is a call that must NOT compile, and `expectTypeOf` pins what must. The
 * functions holding them are never called; the runtime half runs a typed instance end to end.
 */
import { freshCollectionName } from '@monque/test-backend';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type AnyJobOf, type Job, type JobCompleteEvent, type JobList, Monque } from '../../src/index.js';
import { createMonque, FAST, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** The job map of the examples. */
interface AppJobs {
  'send-email': { to: string; subject?: string };
  'resize-image': { url: string; width: number };
}

type Email = AppJobs['send-email'];
type Resize = AppJobs['resize-image'];

/** Compile-time checks of a typed instance (never called). */
export function typedCalls(monque: Monque<AppJobs>): void {
  // enqueue / now: the name picks the payload type, and the job comes back typed.
  expectTypeOf(monque.enqueue('send-email', { to: 'ada@example.com' })).resolves.toEqualTypeOf<Job<Email>>();
  expectTypeOf(monque.now('resize-image', { url: '/a.png', width: 64 })).resolves.toEqualTypeOf<Job<Resize>>();
  // @ts-expect-error: not a job name of the map
  void monque.enqueue('send-sms', { to: '+1' });
  // @ts-expect-error: the payload of another job
  void monque.enqueue('send-email', { url: '/a.png', width: 64 });
  // @ts-expect-error: a required field is missing
  void monque.enqueue('send-email', { subject: 'hi' });
  // @ts-expect-error: a field of the wrong type
  void monque.now('resize-image', { url: '/a.png', width: '64' });

  // enqueueMany: every item's name is checked, and each payload against the names of the batch.
  void monque.enqueueMany([
    { name: 'send-email', data: { to: 'a@example.com' } },
    { name: 'send-email', data: { to: 'b@example.com' }, options: { priority: 1 } },
  ]);
  // @ts-expect-error: an unknown name in a batch
  void monque.enqueueMany([{ name: 'send-sms', data: { to: '+1' } }]);
  // @ts-expect-error: a payload that fits no job of the batch
  void monque.enqueueMany([{ name: 'send-email', data: { to: 42 } }]);
  void monque.enqueueMany([
    { name: 'resize-image', data: { url: '/a.png', width: 64 } },
    // @ts-expect-error: the payload of another job of the same batch, under the wrong name
    { name: 'send-email', data: { url: '/b.png', width: 32 } },
  ]);
  // @ts-expect-error: an explicit payload type cannot get around the map on a typed instance
  void monque.enqueue<Resize>('send-email', { url: '/a.png', width: 64 });

  // worker: the handler's job has the payload of its name.
  monque.worker('resize-image', async (job, { signal, progress }) => {
    expectTypeOf(job.data).toEqualTypeOf<Resize>();
    expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
    await progress(50);
    return { width: job.data.width };
  });
  // @ts-expect-error: not a job name of the map
  monque.worker('send-sms', () => {});
  // @ts-expect-error: reads a field its payload does not have
  monque.worker('send-email', (job) => job.data.width);

  // schedule / unschedule
  expectTypeOf(monque.schedule('0 * * * *', 'send-email', { to: 'ops@example.com' })).resolves.toEqualTypeOf<
    Job<Email>
  >();
  // @ts-expect-error: the payload of another job
  void monque.schedule('0 * * * *', 'send-email', { url: '/a.png', width: 1 });
  // @ts-expect-error: not a job name of the map
  void monque.unschedule('send-sms');

  // Queries and pauses take the map's names only.
  void monque.getJobs({ name: 'send-email', status: 'failed' });
  void monque.countJobs({ name: ['send-email', 'resize-image'] });
  // @ts-expect-error: not a job name of the map
  void monque.getJobs({ name: 'send-sms' });
  // @ts-expect-error: not a job name of the map, in a list
  void monque.getStats({ name: ['send-email', 'send-sms'] });
  // @ts-expect-error: not a job name of the map
  void monque.pause('send-sms');

  // Events: a listener's job is a union discriminated by its name.
  monque.on('job:complete', ({ job, result }) => {
    expectTypeOf(result).toEqualTypeOf<unknown>();
    expectTypeOf(job).toEqualTypeOf<AnyJobOf<AppJobs>>();
    if (job.name === 'send-email') expectTypeOf(job.data).toEqualTypeOf<Email>();
    else expectTypeOf(job.data).toEqualTypeOf<Resize>();
  });
  monque.on('job:start', (job) => {
    if (job.name === 'resize-image') expectTypeOf(job.data.width).toEqualTypeOf<number>();
  });
  // @ts-expect-error: without checking the name, the payload may be either job's
  monque.on('job:fail', ({ job }) => job.data.to);
  // @ts-expect-error: not a job name of the map
  monque.on('job:progress', ({ job }) => job.name === 'send-sms');
}

/** Compile-time checks of an untyped instance: as before typed jobs existed (never called). */
export function untypedCalls(monque: Monque): void {
  expectTypeOf(monque.enqueue('anything', { a: 1 })).resolves.toEqualTypeOf<Job<{ a: number }>>();
  // An explicit payload type still works, and is still checked.
  void monque.enqueue<{ to: string }>('send-email', { to: 'ada@example.com' });
  // @ts-expect-error: the explicit payload type is enforced
  void monque.enqueue<{ to: string }>('send-email', { to: 42 });
  monque.worker<{ to: string }>('send-email', (job) => {
    expectTypeOf(job.data).toEqualTypeOf<{ to: string }>();
  });
  monque.worker('any', (job) => {
    expectTypeOf(job.data).toEqualTypeOf<unknown>();
  });
  void monque.enqueueMany([
    { name: 'a', data: { x: 1 } },
    { name: 'b', data: { x: 2 } },
  ]);
  // Payloads of different shapes in one batch: say so with an explicit type (as before typed jobs).
  void monque.enqueueMany<unknown>([
    { name: 'a', data: 1 },
    { name: 'b', data: { x: 1 } },
  ]);
  void monque.schedule('* * * * *', 'any-name', null);
  expectTypeOf(monque.getJobs({ name: 'any-name' })).resolves.toEqualTypeOf<JobList<unknown>>();
  monque.on('job:complete', (event) => {
    expectTypeOf(event).toEqualTypeOf<JobCompleteEvent>();
    expectTypeOf(event.job).toEqualTypeOf<Job>();
  });
  // A typed instance is not an untyped one's substitute the other way round: names are checked.
  const typed = monque as unknown as Monque<AppJobs>;
  // @ts-expect-error: the typed view refuses names the map lacks
  void typed.enqueue('anything', { a: 1 });
}

describe('typed jobs at run time', () => {
  it('a typed instance runs jobs exactly like an untyped one', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const monque = new Monque<AppJobs>(db, { ...FAST, collectionName });
    try {
      const sent: string[] = [];
      monque.worker('send-email', (job) => {
        sent.push(job.data.to);
        return { delivered: job.data.to };
      });
      const completed = new Promise<string>((resolve) =>
        monque.on('job:complete', ({ job }) => {
          if (job.name === 'send-email') resolve(job.data.to);
        }),
      );
      await monque.start();
      const job = await monque.enqueue('send-email', { to: 'ada@example.com' });
      expect(await completed).toBe('ada@example.com');
      const { jobs } = await monque.getJobs({ name: 'send-email' });
      expect(sent).toEqual(['ada@example.com']);
      expect(jobs.map((listed) => listed._id.toHexString())).toEqual([job._id.toHexString()]);
      expect(jobs[0]?.result).toEqual({ delivered: 'ada@example.com' });
      // An untyped instance on the same collection sees the same job.
      const untyped = createMonque(db, { collectionName });
      expect((await untyped.getJob(job._id))?.data).toEqual({ to: 'ada@example.com' });
    } finally {
      await monque.stop();
    }
  });
});

import { Injectable, inject } from '@tsed/di';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  InvalidArgumentError,
  Job,
  JobDispatcher,
  type JobHandlerClass,
  type JobPayloadOf,
  jobNameOf,
} from '../src/index.js';
import { boot, monqueSettings, nextEvent, useTestApp } from './helpers/app.js';

const getDb = useTestApp(import.meta.url);

interface EmailData {
  to: string;
  subject: string;
}

@Job({ name: 'send-email' })
class SendEmailJob implements JobHandlerClass<EmailData> {
  static sent: EmailData[] = [];
  handle(data: EmailData): void {
    SendEmailJob.sent.push(data);
  }
}

/** Its method has another name: the payload type cannot be read from the class. */
@Job({ name: 'rebuild-index', method: 'run' })
class RebuildIndexJob {
  run(_data: { collection: string }): void {}
}

/** `handle` declares no payload. */
@Job({ name: 'heartbeat' })
class HeartbeatJob {
  handle(): void {}
}

/** Not a @Job class. */
class PlainService {
  handle(_data: { x: number }): void {}
}

/** What application code looks like: the dispatcher injected into a service. */
@Injectable()
class SignupService {
  private readonly jobs = inject(JobDispatcher);

  signUp(to: string) {
    return this.jobs.enqueue(SendEmailJob, { to, subject: 'Welcome!' }, { uniqueKey: `welcome:${to}`, priority: 5 });
  }
}

describe('JobDispatcher', () => {
  it('enqueues under the @Job name, passes the options through, and the job runs', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db) });
    const done = nextEvent(monque, 'job:complete');
    const job = await inject(SignupService).signUp('ada@example.com');
    expect(job.name).toBe('send-email');
    expect(job.data).toEqual({ to: 'ada@example.com', subject: 'Welcome!' });
    expect(job.uniqueKey).toBe('welcome:ada@example.com');
    await done;
    expect(SendEmailJob.sent).toEqual([{ to: 'ada@example.com', subject: 'Welcome!' }]);

    // runAt passes through: a job due in an hour stays pending.
    const runAt = new Date(Date.now() + 3_600_000);
    const later = await inject(JobDispatcher).enqueue(
      SendEmailJob,
      { to: 'b@example.com', subject: 'Later' },
      { runAt },
    );
    const stored = await db.collection(monque.options.collectionName).findOne({ _id: later._id });
    expect(stored).toMatchObject({ status: 'pending', nextRunAt: runAt });

    // A second enqueue with the same unique key returns the job that holds it.
    const again = await inject(JobDispatcher).enqueue(
      SendEmailJob,
      { to: 'b@example.com', subject: 'Later' },
      { uniqueKey: 'k' },
    );
    const same = await inject(JobDispatcher).enqueue(
      SendEmailJob,
      { to: 'b@example.com', subject: 'Later' },
      { uniqueKey: 'k', runAt },
    );
    expect(same._id.equals(again._id)).toBe(true);
  });

  it('schedule() creates the recurring job under the @Job name', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db, { disableJobProcessing: true }) });
    const job = await inject(JobDispatcher).schedule('0 4 * * *', RebuildIndexJob, { collection: 'orders' });
    expect(job).toMatchObject({ name: 'rebuild-index', repeatInterval: '0 4 * * *' });
    expect(await db.collection(monque.options.collectionName).countDocuments({ name: 'rebuild-index' })).toBe(1);
  });

  it('a class that is not a @Job class is rejected before anything is written', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db, { disableJobProcessing: true }) });
    const dispatcher = inject(JobDispatcher);
    await expect(async () => dispatcher.enqueue(PlainService, { x: 1 })).rejects.toThrow(InvalidArgumentError);
    expect(() => jobNameOf(PlainService)).toThrow(/jobClass: PlainService is not a @Job class/);
    expect(() => jobNameOf(undefined as never)).toThrow(/jobClass: undefined is not a @Job class/);
    expect(await db.collection(monque.options.collectionName).countDocuments()).toBe(0);
  });

  it('types: the payload is the first parameter of handle()', () => {
    expectTypeOf<JobPayloadOf<typeof SendEmailJob>>().toEqualTypeOf<EmailData>();
    expectTypeOf<JobPayloadOf<typeof RebuildIndexJob>>().toBeUnknown();
    expectTypeOf<JobPayloadOf<typeof HeartbeatJob>>().toBeUnknown();

    const dispatcher = {} as JobDispatcher;
    const typed = () => dispatcher.enqueue(SendEmailJob, { to: 'a@example.com', subject: 'Hi' });
    expectTypeOf(typed).returns.resolves.toHaveProperty('data').toEqualTypeOf<EmailData>();
    const checks = () => {
      // @ts-expect-error: 'subject' is missing
      void dispatcher.enqueue(SendEmailJob, { to: 'a@example.com' });
      // @ts-expect-error: 'to' must be a string
      void dispatcher.enqueue(SendEmailJob, { to: 42, subject: 'Hi' });
      // @ts-expect-error: an unknown option
      void dispatcher.enqueue(SendEmailJob, { to: 'a', subject: 'b' }, { retries: 3 });
      // @ts-expect-error: a payload is required
      void dispatcher.enqueue(SendEmailJob);
      // Options of core's enqueue pass through.
      void dispatcher.enqueue(
        SendEmailJob,
        { to: 'a', subject: 'b' },
        { priority: 1, maxRetries: 3, backoff: { type: 'fixed', delay: 1_000 }, timeout: 5_000 },
      );
      // A class whose method is named otherwise takes any payload.
      void dispatcher.enqueue(RebuildIndexJob, { anything: true });
    };
    expect(checks).toBeTypeOf('function');
  });
});

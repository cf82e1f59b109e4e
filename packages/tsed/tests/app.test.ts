import { context, Inject, Injectable, inject, ProviderScope } from '@tsed/di';
import { describe, expect, it } from 'vitest';
import { currentJob, Job, JobStatus, MONQUE_JOB_CONTEXT_KEY, Monque, MonqueModule } from '../src/index.js';
import { boot, deferred, monqueSettings, nextEvent, useTestApp } from './helpers/app.js';

const getDb = useTestApp(import.meta.url);

/** A singleton service the jobs report to. */
@Injectable()
class Audit {
  readonly seen: string[] = [];
  record(entry: string): void {
    this.seen.push(entry);
  }
}

/** A request-scoped service: one instance per job, destroyed after it. */
@Injectable({ scope: ProviderScope.REQUEST })
class JobScope {
  static created = 0;
  static destroyed: number[] = [];
  readonly serial = ++JobScope.created;
  readonly jobId = currentJob()?._id.toHexString();
  $onDestroy(): void {
    JobScope.destroyed.push(this.serial);
  }
}

/** Constructor injection of a singleton and of a request-scoped service. */
@Job({ name: 'welcome-email', concurrency: 2 })
class WelcomeEmailJob {
  constructor(
    private readonly audit: Audit,
    private readonly scope: JobScope,
  ) {}

  handle(data: { to: string }, job: Job<{ to: string }>): void {
    const fromContext = context().get<Job | undefined>(MONQUE_JOB_CONTEXT_KEY);
    this.audit.record(
      `welcome:${data.to}:scope=${this.scope.serial}:sameJob=${fromContext?._id.equals(job._id)}:scopeJob=${this.scope.jobId === job._id.toHexString()}`,
    );
  }
}

/** Property injection, and a handler method with another name. */
@Job({ name: 'resize-image', method: 'run', scope: ProviderScope.SINGLETON })
class ResizeImageJob {
  static instances = 0;
  @Inject()
  audit!: Audit;

  constructor() {
    ResizeImageJob.instances += 1;
  }

  async run(data: { file: string }): Promise<void> {
    await Promise.resolve();
    this.audit.record(`resize:${data.file}:job=${currentJob()?.name}`);
  }
}

/** Holds its jobs until the test opens the gate. */
@Job({ name: 'throttled', concurrency: 2 })
class ThrottledJob {
  static running = 0;
  static maxRunning = 0;
  static gate = deferred();

  async handle(): Promise<void> {
    ThrottledJob.running += 1;
    ThrottledJob.maxRunning = Math.max(ThrottledJob.maxRunning, ThrottledJob.running);
    await ThrottledJob.gate.promise;
    ThrottledJob.running -= 1;
  }
}

/** What a controller would do: enqueue through the injected Monque. */
@Injectable()
class SignupService {
  constructor(private readonly monque: Monque) {}

  signUp(email: string) {
    return this.monque.enqueue('welcome-email', { to: email });
  }
}

describe('a Ts.ED application with @Job classes', () => {
  it('processes jobs enqueued through the injected Monque, with constructor and property injection', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db) });
    expect(monque).toBeInstanceOf(Monque);
    expect(monque.isRunning).toBe(true);
    expect(inject(SignupService)).toBeInstanceOf(SignupService);
    expect(Reflect.getMetadata('design:paramtypes', WelcomeEmailJob)).toEqual([Audit, JobScope]);

    const completed = new Set<string>();
    const allDone = new Promise<void>((resolve) => {
      monque.on('job:complete', ({ job }) => {
        completed.add(job._id.toHexString());
        if (completed.size === 3) resolve();
      });
    });
    const jobA = await inject(SignupService).signUp('ada@example.com');
    const jobB = await inject(SignupService).signUp('alan@example.com');
    const jobC = await monque.enqueue('resize-image', { file: 'cat.png' });
    await allDone;

    const audit = inject(Audit);
    expect(audit.seen).toHaveLength(3);
    expect(audit.seen).toContain('resize:cat.png:job=resize-image');
    const welcomes = audit.seen.filter((entry) => entry.startsWith('welcome:')).sort();
    expect(welcomes).toEqual([
      expect.stringMatching(/^welcome:ada@example\.com:scope=\d+:sameJob=true:scopeJob=true$/),
      expect.stringMatching(/^welcome:alan@example\.com:scope=\d+:sameJob=true:scopeJob=true$/),
    ]);
    // Each job got its own request-scoped instance, destroyed with its context.
    const serials = welcomes.map((entry) => /scope=(\d+)/.exec(entry)?.[1]);
    expect(new Set(serials).size).toBe(2);
    expect(JobScope.destroyed.map(String).sort()).toEqual([...serials].sort());
    // The singleton handler was built once.
    expect(ResizeImageJob.instances).toBe(1);

    const jobs = db.collection(monque.options.collectionName);
    for (const job of [jobA, jobB, jobC]) {
      expect((await jobs.findOne({ _id: job._id }))?.status).toBe(JobStatus.COMPLETED);
    }
  });

  it('runs at most `concurrency` jobs of a @Job class at once', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db) });
    const twoStarted = new Promise<void>((resolve) => {
      let count = 0;
      monque.on('job:start', ({ name }) => {
        if (name === 'throttled' && ++count === 2) resolve();
      });
    });
    await Promise.all([1, 2, 3].map((n) => monque.enqueue('throttled', { n })));
    await twoStarted;
    // Several poll intervals (50 ms) pass: a third job would have been claimed by now.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(ThrottledJob.running).toBe(2);
    expect(ThrottledJob.maxRunning).toBe(2);
    const allDone = new Promise<void>((resolve) => {
      let count = 0;
      monque.on('job:complete', () => {
        if (++count === 3) resolve();
      });
    });
    ThrottledJob.gate.resolve();
    await allDone;
    expect(ThrottledJob.maxRunning).toBe(2);
    expect(inject(MonqueModule)).toBeInstanceOf(MonqueModule);
  });

  it('a handler that throws fails the job with its message', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db, { maxRetries: 1 }) });
    const failed = nextEvent(monque, 'job:fail');
    await monque.enqueue('resize-image', null);
    const { error, willRetry } = await failed;
    expect(error).toBeInstanceOf(TypeError);
    expect(willRetry).toBe(false);
  });
});

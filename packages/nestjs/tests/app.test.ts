/**
 * A real Nest application with a real HTTP server: jobs enqueued through a controller run on
 * @Processor classes with their services injected; @OnJobEvent methods hear the events; request-
 * and transient-scoped processors get one instance per job.
 */
import { Body, Controller, Inject, Injectable, Post, Scope } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import {
  currentJob,
  currentJobContext,
  InjectMonque,
  JOB_REF,
  type Job,
  type JobCompleteEvent,
  type JobContext,
  type JobFailEvent,
  JobStatus,
  Monque,
  MonqueModule,
  type MonqueProcessor,
  OnJobEvent,
  Processor,
  type QueuePauseEvent,
} from '../src/index.js';
import { bootApp, nextEvent, request, rootOptions, useTestApps } from './helpers/app.js';

const getDb = useTestApps(import.meta.url);

/** The application's job map: names and payloads checked at compile time. */
type Jobs = {
  'send-email': { to: string };
  'render-report': { pages: number };
  'transient-job': { n: number };
  'always-fails': Record<string, never>;
};

/** An ordinary singleton service. */
@Injectable()
class Mailer {
  readonly sent: string[] = [];
  /** Reports progress through the running job's context, reached without being passed. */
  async send(to: string, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await currentJobContext()?.progress(50);
    this.sent.push(to);
  }
  /** Called from a processor: the job is reachable from here without being passed. */
  whoIsRunning(): string | undefined {
    return currentJob()?.name;
  }
}

/** A request-scoped service: one per job, built with the job as its REQUEST. */
@Injectable({ scope: Scope.REQUEST })
class ReportScope {
  static created = 0;
  readonly serial = ++ReportScope.created;
  constructor(@Inject(JOB_REF) readonly job: Job<Jobs['render-report']>) {}
}

/** Events heard anywhere in the application (not a processor: every job name). */
@Injectable()
class JobAlerts {
  readonly completed: string[] = [];
  readonly transientOnly: string[] = [];
  readonly failed: { name: string; message: string; willRetry: boolean }[] = [];

  @OnJobEvent('job:complete')
  onComplete({ job }: JobCompleteEvent): void {
    this.completed.push(job.name);
  }

  @OnJobEvent('job:complete', { name: 'transient-job' })
  onTransientComplete({ job }: JobCompleteEvent): void {
    this.transientOnly.push(job.name);
  }

  @OnJobEvent('job:fail')
  async onFail({ job, error, willRetry }: JobFailEvent): Promise<void> {
    await Promise.resolve();
    this.failed.push({ name: job.name, message: error.message, willRetry });
  }
}

@Processor<Jobs>('send-email', { concurrency: 2 })
class SendEmailProcessor implements MonqueProcessor<Jobs['send-email'], { sentTo: string }> {
  static instances = 0;
  /** What this processor's own listener heard: only its own job name. */
  static heard: string[] = [];

  constructor(private readonly mailer: Mailer) {
    SendEmailProcessor.instances += 1;
  }

  async process(job: Job<Jobs['send-email']>, { signal }: JobContext) {
    await this.mailer.send(job.data.to, signal);
    return { sentTo: `${job.data.to} (${this.mailer.whoIsRunning()})` };
  }

  @OnJobEvent('job:complete')
  @OnJobEvent('job:start')
  onEvent(payload: Job | JobCompleteEvent): void {
    SendEmailProcessor.heard.push('job' in payload ? `complete:${payload.job.name}` : `start:${payload.name}`);
  }

  /** Pauses of its own name and of every name (`name: null`) reach it; other names' do not. */
  @OnJobEvent('queue:paused')
  onPaused({ name }: QueuePauseEvent): void {
    SendEmailProcessor.heard.push(`paused:${name}`);
  }
}

@Processor<Jobs>({ name: 'render-report', scope: Scope.REQUEST })
class RenderReportProcessor implements MonqueProcessor<Jobs['render-report']> {
  /** For each completion: whether this event's own instance got the completed job as JOB_REF. */
  static completions: boolean[] = [];
  static starts: boolean[] = [];
  static pauses: boolean[] = [];

  constructor(
    private readonly scope: ReportScope,
    private readonly mailer: Mailer,
    @Inject(JOB_REF) private readonly jobRef: Job,
  ) {}

  process(job: Job<Jobs['render-report']>) {
    return {
      serial: this.scope.serial,
      scopeHasThisJob: this.scope.job._id.equals(job._id),
      jobRefIsThisJob: this.jobRef._id.equals(job._id),
      currentJob: this.mailer.whoIsRunning(),
    };
  }

  @OnJobEvent('job:complete')
  onComplete({ job }: JobCompleteEvent): void {
    RenderReportProcessor.completions.push(this.jobRef._id.equals(job._id));
  }

  @OnJobEvent('job:start')
  onStart(job: Job): void {
    RenderReportProcessor.starts.push(this.jobRef === job);
  }

  /** An event without a job: JOB_REF is the payload itself. */
  @OnJobEvent('queue:paused')
  onPaused(payload: QueuePauseEvent): void {
    RenderReportProcessor.pauses.push(this.jobRef === (payload as unknown));
  }
}

@Injectable({ scope: Scope.TRANSIENT })
@Processor<Jobs>('transient-job')
class TransientProcessor {
  static created = 0;
  readonly serial = ++TransientProcessor.created;
  process(): number {
    return this.serial;
  }
}

@Processor<Jobs>('always-fails')
class AlwaysFailsProcessor {
  static heardFailures = 0;
  process(): never {
    throw new Error('the partner API answered 502');
  }
  @OnJobEvent('job:fail')
  onFail(): void {
    AlwaysFailsProcessor.heardFailures += 1;
  }
}

@Controller('signups')
class SignupController {
  constructor(@InjectMonque() private readonly monque: Monque<Jobs>) {}

  @Post()
  async create(@Body() body: { email: string }): Promise<{ id: string }> {
    const job = await this.monque.enqueue('send-email', { to: body.email });
    return { id: job._id.toHexString() };
  }
}

const PROVIDERS = [Mailer, ReportScope, JobAlerts, SendEmailProcessor, RenderReportProcessor, TransientProcessor];

async function boot(extra: object[] = []) {
  const db = await getDb();
  return bootApp({
    imports: [MonqueModule.forRoot(rootOptions(db, { maxRetries: 1, unregisteredProcessors: 'error' }))],
    controllers: [SignupController],
    providers: [...PROVIDERS, AlwaysFailsProcessor, ...(extra as never[])],
  });
}

describe('a Nest application with @Processor classes', () => {
  it('a job enqueued through a controller runs on its processor, with its services injected', async () => {
    const { app, monque, url } = await boot();
    expect(monque.isRunning).toBe(true);
    const completed = nextEvent(monque, 'job:complete', ({ job }) => job.name === 'send-email');

    const response = await request<{ id: string }>(`${url}/signups`, { body: { email: 'ada@example.com' } });
    expect(response.status).toBe(201);

    const { job, result } = await completed;
    expect(job._id.toHexString()).toBe(response.body.id);
    expect(result).toEqual({ sentTo: 'ada@example.com (send-email)' });
    expect(app.get(Mailer).sent).toEqual(['ada@example.com']);
    expect(SendEmailProcessor.instances).toBe(1);
    const stored = await monque.getJob(response.body.id);
    expect(stored).toMatchObject({ status: JobStatus.COMPLETED, progress: 50, result });
  });

  it('@OnJobEvent: a provider hears every job name; a processor hears its own', async () => {
    const { app, monque } = await boot();
    SendEmailProcessor.heard = [];
    const bothDone = Promise.all([
      nextEvent(monque, 'job:complete', ({ job }) => job.name === 'send-email'),
      nextEvent(monque, 'job:complete', ({ job }) => job.name === 'transient-job'),
    ]);
    await monque.enqueue('send-email', { to: 'alan@example.com' });
    await monque.enqueue('transient-job', { n: 1 });
    await bothDone;

    expect([...app.get(JobAlerts).completed].sort()).toEqual(['send-email', 'transient-job']);
    expect(app.get(JobAlerts).transientOnly).toEqual(['transient-job']);
    expect(SendEmailProcessor.heard).toEqual(['start:send-email', 'complete:send-email']);

    SendEmailProcessor.heard = [];
    await monque.pause('transient-job');
    await monque.pause('send-email');
    await monque.pause();
    expect(SendEmailProcessor.heard).toEqual(['paused:send-email', 'paused:null']);
  });

  it('a failing job reaches job:fail listeners (async ones too), the processor hearing only its own', async () => {
    const { app, monque } = await boot();
    AlwaysFailsProcessor.heardFailures = 0;
    const failed = nextEvent(monque, 'job:fail');
    const job = await monque.enqueue('always-fails', {});
    await failed;
    await expect
      .poll(() => app.get(JobAlerts).failed)
      .toEqual([{ name: 'always-fails', message: 'the partner API answered 502', willRetry: false }]);
    expect(AlwaysFailsProcessor.heardFailures).toBe(1);
    expect((await monque.getJob(job._id))?.status).toBe(JobStatus.FAILED);
  });

  it('a request-scoped processor gets a new instance per job, with the job as JOB_REF', async () => {
    const { monque } = await boot();
    RenderReportProcessor.completions = [];
    RenderReportProcessor.starts = [];
    RenderReportProcessor.pauses = [];
    const results = new Map<string, unknown>();
    const allDone = new Promise<void>((resolve) => {
      monque.on('job:complete', ({ job, result }) => {
        if (job.name !== 'render-report') return;
        results.set(job._id.toHexString(), result);
        if (results.size === 3) resolve();
      });
    });
    await Promise.all([1, 2, 3].map((pages) => monque.enqueue('render-report', { pages })));
    await allDone;

    const values = [...results.values()] as { serial: number }[];
    expect(values).toEqual(
      Array.from({ length: 3 }, () => ({
        serial: expect.any(Number),
        scopeHasThisJob: true,
        jobRefIsThisJob: true,
        currentJob: 'render-report',
      })),
    );
    expect(new Set(values.map((value) => value.serial)).size).toBe(3);
    // Its @OnJobEvent method ran on an instance of its own per event, with that event's job as JOB_REF.
    await expect.poll(() => RenderReportProcessor.completions).toEqual([true, true, true]);
    expect(RenderReportProcessor.starts).toEqual([true, true, true]);
    await monque.pause('render-report');
    await expect.poll(() => RenderReportProcessor.pauses).toEqual([true]);
  });

  it('a transient-scoped processor gets a new instance per job', async () => {
    const { monque } = await boot();
    const serials: unknown[] = [];
    const twoDone = new Promise<void>((resolve) => {
      monque.on('job:complete', ({ job, result }) => {
        if (job.name === 'transient-job' && serials.push(result) === 2) resolve();
      });
    });
    await monque.enqueue('transient-job', { n: 1 });
    await monque.enqueue('transient-job', { n: 2 });
    await twoDone;
    expect(new Set(serials).size).toBe(2);
  });

  it('typed jobs: names and payloads are checked at compile time', async () => {
    const { app } = await boot();
    const monque = app.get<Monque<Jobs>>(Monque);
    const job = await monque.enqueue(
      'send-email',
      { to: 'grace@example.com' },
      { runAt: new Date(Date.now() + 60_000) },
    );
    expect(job.data.to).toBe('grace@example.com');
    // @ts-expect-error: not a job name of the map
    await expect(monque.enqueue('send-mail', { to: 'x' })).resolves.toBeDefined();
    // @ts-expect-error: the payload of 'send-email' has `to`
    await expect(monque.enqueue('send-email', { email: 'x' })).resolves.toBeDefined();
  });
});

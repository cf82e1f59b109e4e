/**
 * Prints Monque's events as they fire, one line each with the time since the demo started, and
 * keeps the few facts the demo needs from them (which jobs are running, which one-off jobs are done,
 * how many retries happened).
 */
import type { Job, Monque, MonqueEventMap } from '../../packages/core/src/index.js';
import { formatClockTime, formatDuration, formatElapsed, shortId } from './format.js';
import type { LiveOutput } from './live-output.js';
import type { Palette } from './palette.js';

/** What the log needs to print. */
export interface EventLogDeps {
  readonly out: LiveOutput;
  readonly palette: Palette;
  /** `Date.now()` when the demo started (timestamps are relative to it). */
  readonly startedAt: number;
  /** The instance's `maxRetries`, to print "attempt n of m". */
  readonly maxRetries: number;
}

/** The events the demo prints (the operations API's events never fire in it). */
type Listeners = { [K in keyof MonqueEventMap]?: (payload: MonqueEventMap[K]) => void };

/** Subscribes to a `Monque` instance's events and prints them. */
export class EventLog {
  private readonly running = new Map<string, Job>();
  private readonly finished = new Set<string>();
  private readonly finishWaiters = new Set<() => void>();
  private retryCount = 0;
  private failedForGood = 0;
  private completedRuns = 0;
  private detachFrom: (() => void) | undefined;

  constructor(private readonly deps: EventLogDeps) {}

  /** Prints a message line with a timestamp, in the event column layout. */
  line(tag: string, text: string): void {
    const { out, palette, startedAt } = this.deps;
    out.print(`${palette.dim(formatElapsed(startedAt))} ${tag} ${text}`);
  }

  /** Starts listening to `monque`'s events. */
  attach(monque: Monque): void {
    const { palette } = this.deps;
    const listeners: Listeners = {
      'job:start': (job) => this.onStart(job),
      'job:complete': (event) => this.onComplete(event),
      'job:fail': (event) => this.onFail(event),
      'job:error': ({ error, job }) =>
        this.line(palette.red('ERROR   '), `${job ? `${job.name} ${shortId(job._id)}: ` : ''}${error.message}`),
      'job:recovered': ({ job, willRetry }) =>
        this.line(
          palette.yellow('RECOVER '),
          `${job.name} ${shortId(job._id)} had a stale lock; ${willRetry ? 'back to pending' : 'failed for good'}`,
        ),
      'wakeup:fallback': ({ reason }) =>
        this.line(
          palette.blue('INFO    '),
          `no change streams on this server (${reason}); due jobs are found by polling every ${monque.options.pollInterval} ms`,
        ),
    };
    for (const [event, listener] of Object.entries(listeners)) {
      monque.on(event as keyof MonqueEventMap, listener as (payload: unknown) => void);
    }
    this.detachFrom = () => {
      for (const [event, listener] of Object.entries(listeners)) {
        monque.off(event as keyof MonqueEventMap, listener as (payload: unknown) => void);
      }
    };
  }

  /** Stops listening. */
  detach(): void {
    this.detachFrom?.();
    this.detachFrom = undefined;
  }

  /** Jobs whose handler is running now. */
  get runningJobs(): Job[] {
    return [...this.running.values()];
  }

  /** Retries seen so far (failures that will run again). */
  get retries(): number {
    return this.retryCount;
  }

  /** Jobs that failed for good so far. */
  get failures(): number {
    return this.failedForGood;
  }

  /** Successful runs so far. */
  get completions(): number {
    return this.completedRuns;
  }

  /** Whether every job in `ids` (hex strings) reached `completed` or `failed`. */
  allFinished(ids: readonly string[]): boolean {
    return ids.every((id) => this.finished.has(id));
  }

  /** Resolves once every job in `ids` reached `completed` or `failed`. */
  waitForFinished(ids: readonly string[]): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.allFinished(ids)) return;
        this.finishWaiters.delete(check);
        resolve();
      };
      this.finishWaiters.add(check);
      check();
    });
  }

  private markFinished(job: Job): void {
    this.finished.add(job._id.toHexString());
    for (const check of [...this.finishWaiters]) check();
  }

  private describeRun(job: Job): string {
    if (job.repeatInterval) return `cron occurrence of '${job.repeatInterval}'`;
    if (job.failCount > 0) return `retry, attempt ${job.failCount + 1} of ${this.deps.maxRetries}`;
    const { startedAt } = this.deps;
    if (job.nextRunAt.getTime() - job.createdAt.getTime() >= 1000) {
      return `delayed job: enqueued at ${formatElapsed(startedAt, job.createdAt.getTime(), false)}, due at ${formatElapsed(startedAt, job.nextRunAt.getTime(), false)}`;
    }
    return '';
  }

  private onStart(job: Job): void {
    this.running.set(job._id.toHexString(), job);
    const detail = this.describeRun(job);
    this.line(
      this.deps.palette.cyan('START   '),
      `${job.name} ${shortId(job._id)}${detail ? this.deps.palette.dim(` (${detail})`) : ''}`,
    );
  }

  private onComplete({ job, duration }: MonqueEventMap['job:complete']): void {
    const { palette } = this.deps;
    this.running.delete(job._id.toHexString());
    this.completedRuns += 1;
    if (job.repeatInterval) {
      this.line(
        palette.green('COMPLETE'),
        `${job.name} ${shortId(job._id)} in ${formatDuration(duration)}; recurring, next run at ${formatClockTime(job.nextRunAt)}`,
      );
      return;
    }
    this.line(palette.green('COMPLETE'), `${job.name} ${shortId(job._id)} completed in ${formatDuration(duration)}`);
    this.markFinished(job);
  }

  private onFail({ job, error, willRetry }: MonqueEventMap['job:fail']): void {
    const { palette, maxRetries } = this.deps;
    this.running.delete(job._id.toHexString());
    const attempt = `attempt ${job.failCount} of ${maxRetries}`;
    if (willRetry && !job.repeatInterval) {
      this.retryCount += 1;
      const delay = job.nextRunAt.getTime() - job.updatedAt.getTime();
      this.line(
        palette.yellow('RETRY   '),
        `${job.name} ${shortId(job._id)} failed (${attempt}): ${error.message} → retry in ${formatDuration(delay)} ` +
          palette.dim(`(backoff 2^${job.failCount} × baseRetryInterval)`),
      );
      return;
    }
    if (willRetry) {
      this.line(palette.yellow('FAIL    '), `${job.name} ${shortId(job._id)} failed: ${error.message}; next cron run`);
      return;
    }
    this.failedForGood += 1;
    this.line(
      palette.red('FAILED  '),
      `${job.name} ${shortId(job._id)} failed for good after ${job.failCount} attempts (maxRetries ${maxRetries}): ${error.message}`,
    );
    this.markFinished(job);
  }
}

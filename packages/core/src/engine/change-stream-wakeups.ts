/**
 * Wakes this instance when any instance makes a job `pending` (a hint only: polling stays the
 * safety net). On a server without change streams (standalone, emulators) the error arrives on the
 * cursor, not from `watch()`; the first error before the stream was ever up means "unsupported":
 * report it once and fall back to polling for good. A stream that worked and then failed is
 * reopened after a delay.
 */
import type { ChangeStream } from 'mongodb';
import type { JobDocument } from '../store/job-document.js';

/** What the wake-ups need. */
export interface ChangeStreamWakeupsDeps {
  readonly open: () => ChangeStream<JobDocument>;
  /** A job is due at `at` (or now when unknown). */
  readonly onPending: (name: string | undefined, at: Date | undefined) => void;
  /** Change streams cannot be used; called once. */
  readonly onFallback: (reason: string) => void;
  readonly reopenDelay: number;
}

/** Watches for pending jobs while started. */
export class ChangeStreamWakeups {
  private stream: ChangeStream<JobDocument> | undefined;
  private everUp = false;
  private stopped = true;
  private reopenTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ChangeStreamWakeupsDeps) {}

  /** Opens the stream. */
  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    let stream: ChangeStream<JobDocument>;
    try {
      stream = this.deps.open();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.stream = stream;
    // The server answered the stream's first command: it has change streams. (The driver forwards
    // `resumeTokenChanged`, emitted with every batch's resume token, not the cursor's own `init`.)
    const up = (): void => {
      this.everUp = true;
    };
    stream.on('init', up);
    stream.on('resumeTokenChanged', up);
    stream.on('change', (change) => {
      this.everUp = true;
      const doc = 'fullDocument' in change ? change.fullDocument : undefined;
      this.deps.onPending(doc?.name, doc?.nextRunAt);
    });
    stream.on('error', (error) => {
      if (this.stream === stream) this.fail(error);
    });
  }

  private fail(error: unknown): void {
    const stream = this.stream;
    this.stream = undefined;
    void stream?.close().catch(() => {});
    if (this.stopped) return;
    if (!this.everUp) {
      this.stopped = true;
      this.deps.onFallback(error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error));
      return;
    }
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (!this.stopped) this.open();
    }, this.deps.reopenDelay);
    this.reopenTimer.unref();
  }

  /** Closes the stream. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    const stream = this.stream;
    this.stream = undefined;
    await stream?.close().catch(() => {});
  }
}

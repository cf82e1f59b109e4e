/**
 * The owner's side of a lock it cannot renew. Another instance judges a lock stale once it has
 * seen it unchanged for `lockTimeout`, counted from no earlier than the moment the owner sent its
 * last renewal that got through. So once that renewal is `lockTimeout − heartbeatInterval` old (on
 * this instance's clock), the owner can no longer be sure it still holds the job: it aborts the
 * handler's signal with `JobLockLostError` at once, before any other instance may take the job
 * over, instead of learning it only when the database answers again. Checked every half
 * `heartbeatInterval`, so the abort comes at least half a `heartbeatInterval` before the lock can
 * be judged stale anywhere. (A handler that ignores its aborted signal can still overlap a
 * recovered run; its outcome is fenced out.)
 */
import type { Clock } from '../monque-options.js';
import type { BackgroundTask } from './scheduler.js';

/** What the watch needs. */
export interface LockDeadlineDeps {
  readonly clock: Clock;
  readonly lockTimeout: number;
  readonly heartbeatInterval: number;
  /** Aborts the runs whose last renewal that got through was sent before `before` (epoch ms). */
  readonly abortUnrenewedSince: (before: number, overdueMs: number) => void;
}

/** Aborts runs whose lock may have expired (see the file comment). */
export class LockDeadline implements BackgroundTask {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LockDeadlineDeps) {}

  /** How old a run's last renewal may get before its handler is aborted. */
  get overdueMs(): number {
    return this.deps.lockTimeout - this.deps.heartbeatInterval;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), Math.max(1, this.deps.heartbeatInterval / 2));
    this.timer.unref();
  }

  /** Aborts the runs overdue now. */
  check(): void {
    this.deps.abortUnrenewedSince(this.deps.clock.now().getTime() - this.overdueMs, this.overdueMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * One run of one job in this instance: the claim it runs under, its abort controller, and where it
 * is in its life:
 *
 * - `running`: the handler runs and the outcome is not decided yet;
 * - `writing`: the outcome is decided (the handler returned, or the run was timed out or cancelled)
 *   and is being written; the heartbeat still renews the lock;
 * - `detached`: the outcome is written, given up, or not ours to write (the lock was lost). A
 *   handler that ignored its aborted signal may still be running: its slot stays taken, and this
 *   instance claims no other run of the job until it settles.
 *
 * A run whose lock could not be renewed in time (`lock-deadline.ts`) has its signal aborted but
 * stays `running` ({@link ActiveRun.abortedAtDeadline}): its lock is renewed again once the database
 * answers, its timeout and a cancellation still apply, and its ending is written like any other.
 */
import type { ObjectId } from 'mongodb';
import type { Job } from '../job.js';
import type { JobDocument } from '../store/job-document.js';
import { toPublicJob } from '../store/job-document.js';
import type { HeldRun } from '../store/lock-store.js';
import type { Worker } from './worker-registry.js';

/** Where a run is in its life. */
export type RunState = 'running' | 'writing' | 'detached';

/** One run of one job. */
export class ActiveRun implements HeldRun {
  readonly id: ObjectId;
  /** The job id as hex: the key of the runner's map. */
  readonly key: string;
  /** The claim token this run holds the job under. */
  readonly token: string;
  readonly controller = new AbortController();
  state: RunState = 'running';
  handlerSettled = false;
  /** The job as claimed (for events and decisions; replaced when a write finds it changed). */
  doc: JobDocument;
  timeoutTimer: NodeJS.Timeout | undefined;
  /**
   * When the last write of this run's lock that got through was sent (this instance's clock, epoch
   * ms): the claim, then each renewal.
   */
  lockWrittenAt: number;
  /**
   * The handler's signal was aborted because the lock could not be renewed in time (not because
   * another instance took the job): the run goes on, and a failure caused by that abort counts as
   * a stall rather than the handler's failure.
   */
  abortedAtDeadline = false;

  constructor(
    doc: JobDocument,
    readonly worker: Worker,
    readonly startedAt: Date,
  ) {
    this.doc = doc;
    this.id = doc._id;
    this.key = doc._id.toHexString();
    this.token = doc.claimToken as string;
    this.lockWrittenAt = doc.lockedAt?.getTime() ?? startedAt.getTime();
  }

  /** The job as users see it. */
  get job(): Job {
    return toPublicJob(this.doc);
  }

  /** Whether the heartbeat must keep the lock (the outcome is not written yet). */
  get holdsLock(): boolean {
    return this.state !== 'detached';
  }

  /** Aborts the handler's signal with `reason` (once) and stops the timeout. */
  abort(reason: Error): void {
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    this.timeoutTimer = undefined;
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /**
   * Whether the handler, ignoring its aborted signal, still runs after the run's outcome was
   * written (a timeout, a cancellation) or its lock lost: it holds no slot in the database any more.
   */
  get abandoned(): boolean {
    return this.state === 'detached' && !this.handlerSettled;
  }

  /** Whether the run can be forgotten: its handler settled and its outcome is done. */
  get finished(): boolean {
    return this.handlerSettled && this.state === 'detached';
  }
}

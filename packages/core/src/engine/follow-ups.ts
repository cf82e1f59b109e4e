/**
 * What a finished run owes to other jobs, from the outcome path: telling the job's dependents
 * (when it has any: `notifyDependents`, known from the claimed document, so a job without
 * dependents costs nothing), and writing its dead letter (when it failed for good and a
 * `deadLetter` name applies).
 *
 * - Before the outcome write, {@link FollowUps.prepare} adjusts the transition: a failure for good
 *   records the dead letter it owes (`deadLetterDue`), and a job that owes anything keeps no
 *   `expireAt` until it is paid (retention never deletes a job whose dependents were not told).
 * - After the write, {@link FollowUps.written} queues the work; outcomes written together are
 *   followed up together, in a few commands. A failed follow-up leaves its marker for the sweep.
 */
import { withTimeout } from '../database-errors.js';
import { JobStatus } from '../job.js';
import type { DeadLetterSource, DeadLetterStore } from '../store/dead-letter-store.js';
import { type SettledDependency, settledOf } from '../store/dependency-store.js';
import type { InsertStore } from '../store/insert-store.js';
import { FINISHED_STATUSES, type JobDocument } from '../store/job-document.js';
import type { ObjectIds } from '../store/object-ids.js';
import type { Transition } from '../store/outcome-store.js';
import { deadLetterOf } from './dead-letters.js';
import type { DependencyRelease } from './dependency-release.js';

/** What follow-ups need. */
export interface FollowUpsDeps {
  readonly release: DependencyRelease;
  readonly deadLetters: DeadLetterStore;
  readonly inserts: InsertStore;
  readonly ids: ObjectIds;
  readonly now: () => Date;
  /** Longest wait for one step's database work (`operationTimeout`). */
  readonly timeout: number;
  /** A follow-up failed (its marker stays; the sweep does it later). */
  readonly onError: (error: unknown) => void;
}

/** The job as stored after `transition` was written. */
function storedAfter(job: JobDocument, transition: Transition): JobDocument {
  const after: JobDocument = { ...job, status: transition.status, updatedAt: transition.at };
  if (transition.finishedAt) after.finishedAt = transition.finishedAt;
  if (typeof transition.failReason === 'string') after.failReason = transition.failReason;
  if (transition.failCount !== undefined) after.failCount = transition.failCount;
  if (transition.deadLetter) after.deadLetterDue = transition.deadLetter;
  return after;
}

/** Queues and runs the follow-ups of written outcomes. */
export class FollowUps {
  private settled: SettledDependency[] = [];
  private letters: DeadLetterSource[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly deps: FollowUpsDeps) {}

  /**
   * Adjusts `transition` of `job` before it is written (see the file comment).
   * @param workerDeadLetter - the `deadLetter` of the job's worker here, if any
   */
  prepare(job: JobDocument, transition: Transition, workerDeadLetter: string | undefined): void {
    if (!FINISHED_STATUSES.includes(transition.status)) return;
    const deadLetter = transition.status === JobStatus.FAILED ? (job.deadLetter ?? workerDeadLetter) : undefined;
    if (deadLetter) transition.deadLetter = deadLetter;
    if (deadLetter || job.notifyDependents) delete transition.expireAt;
  }

  /** `transition` of `job` is written: queues what it owes. */
  written(job: JobDocument, transition: Transition): void {
    if (!FINISHED_STATUSES.includes(transition.status)) return;
    if (!job.notifyDependents && !transition.deadLetter) return;
    const after = storedAfter(job, transition);
    if (job.notifyDependents) this.settled.push(settledOf(after));
    if (after.deadLetterDue) {
      const failed = after as JobDocument & { deadLetterDue: string };
      this.letters.push(deadLetterOf(failed, this.deps.ids, this.deps.inserts, this.deps.now()));
    }
    this.running ??= this.run();
  }

  private async run(): Promise<void> {
    // Let the other outcomes of the same write queue theirs first.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.settled.length > 0 || this.letters.length > 0) {
      const letters = this.letters.splice(0);
      const settled = this.settled.splice(0);
      const { timeout, onError } = this.deps;
      await withTimeout(this.deps.deadLetters.write(letters), timeout, 'writing dead letters').catch(onError);
      await withTimeout(this.deps.release.tell(settled), timeout, 'telling dependents').catch(onError);
    }
    this.running = undefined;
  }

  /** Resolves once everything queued was tried. */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }
}

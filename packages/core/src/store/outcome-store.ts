/**
 * Writing what runs (and recoveries) did to their jobs, many at a time, each fenced:
 * - a run's outcome on its claim (`claimToken`, still `processing`), on no cancellation having
 *   been requested meanwhile (unless it is the cancellation), and for a recurring job on the
 *   schedule it ran with (`repeatInterval`, `timezone`): an operator's `cancelJob`, `schedule()` or
 *   `unschedule()` during the run is never undone by it;
 * - a recovery on the lock it saw (`lockedAt` and `claimToken`);
 * - a job finishing (completed, failed, cancelled) that had no dependents when it was read, on
 *   still having none (`notifyDependents`): a dependent linked meanwhile makes the write `changed`,
 *   and the writer decides again, now knowing it has dependents to tell (see `follow-ups.ts`).
 * A write that is fenced out is read back and reported as `lost` (someone else holds the job) or
 * `changed` (still ours, but cancelled or rescheduled: decide again from the current document).
 * Each transition carries its own time, so a write retried after a lost reply is recognised as
 * already applied.
 */
import type { Collection, Filter, ObjectId, UpdateFilter } from 'mongodb';
import { isTransientError } from '../database-errors.js';
import { type JobErrorRecord, JobStatus, type JobStatusType } from '../job.js';
import { FINISHED_STATUSES, type JobDocument, unsetOf } from './job-document.js';

/** The state a finished run (or a recovery) moves a job to. */
export interface Transition {
  status: JobStatusType;
  /** When it was decided: becomes `updatedAt` (and identifies the write when retried). */
  at: Date;
  /** New due time (for `pending`). */
  nextRunAt?: Date;
  failCount?: number;
  /** The failure message; `null` removes a previous one. */
  failReason?: string | null;
  /** The whole attempt history after a failure (set, never pushed: a retried write sets it again). */
  errors?: JobErrorRecord[];
  /** Set when a run succeeded. */
  completedAt?: Date;
  /** Set when the job reached `completed`, `failed` or `cancelled`. */
  finishedAt?: Date;
  /** When retention deletes the finished job. */
  expireAt?: Date;
  /** The handler's return value to store; `null` removes an earlier run's. */
  result?: { value: unknown } | null;
  /** The job's stall count after a stale recovery that was not charged as a failure. */
  stalls?: number;
  /**
   * A recovery that makes the job `pending` again names the claim it took the job from: a success
   * of that run written late (its instance was cut off after the handler returned) may still
   * complete the job while nobody has claimed it since (see `OutcomeStore.readBack`).
   */
  recoveredFrom?: string;
  /** Clears the claim token (recoveries), so the old run's writes are fenced out. */
  clearClaim?: boolean;
  /** The run does not count as an attempt (`attempts` goes back down): a `RateLimitError`. */
  uncharged?: boolean;
  /** A failure for good whose dead-letter job is to be written: its name (stored as `deadLetterDue`). */
  deadLetter?: string;
}

/**
 * Whom a write must still find holding the job: a run's claim, or for a recovery the lock it saw
 * (`null` matches a job stored without a claim token or lock time).
 */
export type OutcomeFence = { claimToken: string } | { claimToken: string | null; lockedAt: Date | null };

/** A transition of one job, fenced. */
export interface JobOutcome {
  /** The job as claimed (or as the recovery saw it). */
  job: JobDocument;
  transition: Transition;
  fence: OutcomeFence;
}

/** What became of one outcome write. */
export type OutcomeResult =
  | { kind: 'written' }
  | { kind: 'lost' }
  | { kind: 'changed'; current: JobDocument }
  | { kind: 'error'; error: unknown };

/**
 * A job that finishes without dependents known to the writer must still have none: a dependent
 * linked during the run marked it (`notifyDependents`), and the write is then decided again.
 */
function dependentsFence(job: JobDocument, transition: Transition): Filter<JobDocument> {
  return FINISHED_STATUSES.includes(transition.status) && !job.notifyDependents
    ? { notifyDependents: { $exists: false } }
    : {};
}

function fenceFilter({ job, transition, fence }: JobOutcome): Filter<JobDocument> {
  const filter: Filter<JobDocument> = {
    _id: job._id,
    status: JobStatus.PROCESSING,
    claimToken: fence.claimToken,
    ...dependentsFence(job, transition),
  };
  if ('lockedAt' in fence) return { ...filter, lockedAt: fence.lockedAt };
  if (transition.status !== JobStatus.CANCELLED) filter.cancelRequestedAt = { $exists: false };
  if (job.repeatInterval) {
    filter.repeatInterval = job.repeatInterval;
    // `null` also matches a schedule stored before time zones were recorded.
    Object.assign(filter, { timezone: job.timezone ?? null });
  }
  return filter;
}

/** How many claims that made a job `pending` again it remembers (`requeuedBy`). */
const REQUEUE_HISTORY = 8;

/** The claims that made `doc` pending again, latest first (a single string as stored before 2026-12). */
function requeuesOf(doc: JobDocument): readonly string[] {
  const { requeuedBy } = doc;
  if (Array.isArray(requeuedBy)) return requeuedBy;
  return typeof requeuedBy === 'string' ? [requeuedBy] : [];
}

function updateFor(transition: Transition, fence?: OutcomeFence, job?: JobDocument): UpdateFilter<JobDocument> {
  const set: Partial<JobDocument> = { status: transition.status, lockedAt: null, updatedAt: transition.at };
  // A run's outcome that makes the job pending again names its claim, before the claims that did
  // so earlier: once the job is claimed again (and even requeued again by another run), that is
  // how a retry of this write whose reply was lost knows it was applied.
  if (transition.status === JobStatus.PENDING && fence && !('lockedAt' in fence)) {
    const earlier = job ? requeuesOf(job).filter((token) => token !== fence.claimToken) : [];
    set.requeuedBy = [fence.claimToken, ...earlier].slice(0, REQUEUE_HISTORY);
  }
  // A run's slots end with its claim, whatever the job's next status.
  const unset: (keyof JobDocument)[] = ['owner', 'limitSlot', 'groupSlot'];
  if (transition.nextRunAt) set.nextRunAt = transition.nextRunAt;
  if (transition.failCount !== undefined) set.failCount = transition.failCount;
  if (transition.stalls !== undefined) set.stalls = transition.stalls;
  if (typeof transition.failReason === 'string') set.failReason = transition.failReason;
  if (transition.failReason === null) unset.push('failReason');
  if (transition.errors) set.errors = transition.errors;
  if (transition.completedAt) set.completedAt = transition.completedAt;
  if (transition.finishedAt) set.finishedAt = transition.finishedAt;
  if (transition.expireAt) set.expireAt = transition.expireAt;
  if (transition.result) set.result = transition.result.value;
  if (transition.result === null) unset.push('result');
  if (transition.clearClaim) set.claimToken = null;
  if (transition.deadLetter) set.deadLetterDue = transition.deadLetter;
  if (transition.recoveredFrom) set.recoveredFrom = transition.recoveredFrom;
  else unset.push('recoveredFrom');
  if (FINISHED_STATUSES.includes(transition.status)) unset.push('activeKey');
  const update: UpdateFilter<JobDocument> = { $set: set, $unset: unsetOf(...unset) };
  if (transition.uncharged) update.$inc = { attempts: -1 };
  return update;
}

/** Whether `outcome` is a run's success whose job a recovery from that run's claim made `pending`, still so. */
function isLateSuccess(doc: JobDocument, { transition, fence }: JobOutcome): boolean {
  return (
    transition.status === JobStatus.COMPLETED &&
    !('lockedAt' in fence) &&
    doc.status === JobStatus.PENDING &&
    doc.recoveredFrom === fence.claimToken
  );
}

/** A plain completion: the same update for every job of one claim, so one `updateMany` fits them all. */
function isPlainCompletion(outcome: JobOutcome): outcome is JobOutcome & { fence: { claimToken: string } } {
  return (
    !('lockedAt' in outcome.fence) &&
    outcome.transition.status === JobStatus.COMPLETED &&
    !outcome.job.repeatInterval &&
    !outcome.job.notifyDependents &&
    outcome.transition.result === undefined
  );
}

/** Gives `transition` the times of `model` (completions written together share them). */
function sameTimes(transition: Transition, model: Transition): void {
  transition.at = model.at;
  if (model.completedAt) transition.completedAt = model.completedAt;
  if (model.finishedAt) transition.finishedAt = model.finishedAt;
  if (model.expireAt) transition.expireAt = model.expireAt;
}

/**
 * Whether `doc` already shows `outcome` applied (a retried write whose first reply was lost): as
 * written, or, for a run's outcome that made the job pending, claimed again since (it names the
 * claim that requeued it, among the last few that did).
 */
function alreadyApplied(doc: JobDocument, { transition, fence }: JobOutcome): boolean {
  const token = transition.clearClaim ? null : fence.claimToken;
  if (transition.status === JobStatus.PENDING && !('lockedAt' in fence) && requeuesOf(doc).includes(fence.claimToken)) {
    return true;
  }
  return (
    doc.status === transition.status &&
    doc.updatedAt.getTime() === transition.at.getTime() &&
    (doc.claimToken ?? null) === token
  );
}

/** Writes outcomes. */
export class OutcomeStore {
  constructor(private readonly collection: Collection<JobDocument>) {}

  /**
   * Writes `outcomes`: plain completions (of any claims) share one `updateMany`, the rest go in one
   * unordered `bulkWrite`; when any was fenced out, one `find` reads them back. A write error that
   * is not transient (a poison outcome) is isolated by writing the batch one by one, so it fails
   * only its own outcome (an outcome alone in its batch gets the error as its result: it is never
   * thrown, so never retried). Transient errors are thrown (the caller retries the batch).
   * @returns each outcome's result, in order
   */
  async apply(outcomes: readonly JobOutcome[]): Promise<OutcomeResult[]> {
    try {
      return await this.applyBatch(outcomes);
    } catch (error) {
      if (isTransientError(error)) throw error;
      if (outcomes.length === 1) return [{ kind: 'error', error }];
      const results: OutcomeResult[] = [];
      for (const outcome of outcomes) {
        try {
          results.push(...(await this.applyBatch([outcome])));
        } catch (single) {
          if (isTransientError(single)) throw single;
          results.push({ kind: 'error', error: single });
        }
      }
      return results;
    }
  }

  private async applyBatch(outcomes: readonly JobOutcome[]): Promise<OutcomeResult[]> {
    const completions: (JobOutcome & { fence: { claimToken: string } })[] = [];
    const individual: JobOutcome[] = [];
    for (const outcome of outcomes) {
      if (!isPlainCompletion(outcome)) {
        individual.push(outcome);
        continue;
      }
      // One update for every plain completion: they take the first's times. The transition is
      // changed in place, so the run's event and a retry of this write show the times stored.
      if (completions[0]) sameTimes(outcome.transition, completions[0].transition);
      completions.push(outcome);
    }
    let shortfall = false;
    const writes: Promise<void>[] = [];
    if (completions.length > 0) {
      writes.push(
        this.completeTogether(completions).then((all) => {
          if (!all) shortfall = true;
        }),
      );
    }
    if (individual.length > 0) {
      writes.push(
        (async () => {
          const result = await this.collection.bulkWrite(
            individual.map((outcome) => ({
              updateOne: {
                filter: fenceFilter(outcome),
                update: updateFor(outcome.transition, outcome.fence, outcome.job),
              },
            })),
            { ordered: false },
          );
          if (result.modifiedCount < individual.length) shortfall = true;
        })(),
      );
    }
    await Promise.all(writes);
    if (!shortfall) return outcomes.map(() => ({ kind: 'written' }));
    return this.readBack(outcomes);
  }

  /**
   * Plain completions, whatever their claims: one `updateMany` fenced per claim (`$or` of its token
   * and job ids when several claims finish together). @returns whether every one was written
   */
  private async completeTogether(group: (JobOutcome & { fence: { claimToken: string } })[]): Promise<boolean> {
    const byToken = new Map<string, ObjectId[]>();
    for (const outcome of group) {
      byToken.set(outcome.fence.claimToken, [...(byToken.get(outcome.fence.claimToken) ?? []), outcome.job._id]);
    }
    const held = [...byToken].map(([claimToken, ids]) => ({ claimToken, _id: { $in: ids } }));
    const result = await this.collection.updateMany(
      {
        $or: held,
        status: JobStatus.PROCESSING,
        cancelRequestedAt: { $exists: false },
        notifyDependents: { $exists: false },
      },
      updateFor((group[0] as JobOutcome).transition),
    );
    return result.modifiedCount >= group.length;
  }

  /** After a shortfall: which outcomes landed, which were fenced out, and why. */
  private async readBack(outcomes: readonly JobOutcome[]): Promise<OutcomeResult[]> {
    const ids: ObjectId[] = outcomes.map((outcome) => outcome.job._id);
    const docs = await this.collection.find({ _id: { $in: ids } }).toArray();
    const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
    const results = outcomes.map((outcome): OutcomeResult => {
      const doc = byId.get(outcome.job._id.toHexString());
      if (!doc) return { kind: 'lost' };
      if (alreadyApplied(doc, outcome)) return { kind: 'written' };
      const { fence } = outcome;
      const held =
        doc.status === JobStatus.PROCESSING &&
        (doc.claimToken ?? null) === fence.claimToken &&
        (!('lockedAt' in fence) || (doc.lockedAt?.getTime() ?? null) === (fence.lockedAt?.getTime() ?? null));
      if (!held || 'lockedAt' in fence) return { kind: 'lost' };
      return { kind: 'changed', current: doc };
    });
    const late = outcomes.flatMap((outcome, index) => {
      const doc = byId.get(outcome.job._id.toHexString());
      return results[index]?.kind === 'lost' && doc && isLateSuccess(doc, outcome) ? [{ outcome, index }] : [];
    });
    for (const { outcome, index } of late) results[index] = await this.writeLateSuccess(outcome);
    return results;
  }

  /**
   * A success written late, after a recovery made its job `pending` again and before anyone claimed
   * it: it completes the job (as its run's own write would have, its claim token included, so a
   * retry after a lost reply is recognised), fenced on the job still being `pending` from that
   * recovery. Otherwise it is lost. (Writes of that kind are rare: one `updateOne` each.)
   */
  private async writeLateSuccess(outcome: JobOutcome): Promise<OutcomeResult> {
    const token = (outcome.fence as { claimToken: string }).claimToken;
    const update = updateFor(outcome.transition);
    (update.$set as Partial<JobDocument>).claimToken = token;
    const result = await this.collection.updateOne(
      {
        _id: outcome.job._id,
        status: JobStatus.PENDING,
        recoveredFrom: token,
        ...dependentsFence(outcome.job, outcome.transition),
      },
      update,
    );
    return result.modifiedCount === 1 ? { kind: 'written' } : { kind: 'lost' };
  }
}

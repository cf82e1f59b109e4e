/**
 * Puts back jobs whose owner stopped renewing their lock (crashed, killed, cut off).
 *
 * Staleness never depends on two machines' clocks agreeing: this instance remembers each lock it
 * sees (its `lockedAt` and claim token, as written by the owner) and when it first saw it, on its
 * own clock. A lock seen unchanged for `lockTimeout` is stale. Only locks that look older than
 * `lockTimeout + clockSkewTolerance` by this instance's clock are taken for stale at first sight
 * (after a restart of every instance), so clocks may disagree by up to the tolerance.
 *
 * What was seen survives this instance's errors; only time it cannot vouch for is taken off. A
 * sighting means "this lock stayed unchanged from `since` until now, while its owner could have
 * renewed it". An error of this instance puts in doubt only the second half, and only for the time
 * this instance itself had no contact with the database: that outage may have been everyone's
 * (every heartbeat stopped at once). So the time from its last successful round trip before a
 * failure to the next successful one is not counted: every watch is moved on by that gap, and the
 * owners get a full `lockTimeout` of reachable time to renew. A single failed command among
 * successful ones (a dropped request, a reply that came too late) moves the watches by that short
 * gap only: the other round trips show the database answered, and forgetting everything on it would
 * let a few errors per `lockTimeout` starve recovery forever. (A backward jump of this instance's
 * clock only delays a verdict; a forward jump is not told apart from time passing.)
 *
 * The first `maxStalls` recoveries of a job (since its last retry) are stalls: `pending` again, due
 * at once, no failure charged (a process that died or was cut off says nothing about the job; its
 * handler may not even have started). Later ones count as failed attempts, so a job that kills its
 * worker every time still ends `failed`; those too are due again at once. A job whose cancellation was requested ends `cancelled`
 * instead (reported as `job:cancelled`, not `job:recovered`). Each write is fenced on the lock that was seen. Jobs this
 * instance runs itself are never recovered by it; jobs recorded as its own that it does not run
 * (left by an earlier process with the same `instanceId`) are recovered at `start()`.
 */
import type { MonqueEventEmitter } from '../events.js';
import { JobStatus } from '../job.js';
import type { Clock, Logger } from '../monque-options.js';
import { type JobDocument, toPublicJob } from '../store/job-document.js';
import type { JobOutcome, OutcomeResult } from '../store/outcome-store.js';
import type { FollowUps } from './follow-ups.js';
import { type DecisionSettings, decideRecovery, jobAfter, type RetryPolicy } from './outcome.js';

/** What recovery needs. */
export interface StaleRecoveryDeps {
  readonly clock: Clock;
  readonly lockTimeout: number;
  /** How far clocks may disagree for a lock to be judged stale at first sight (`Infinity`: never). */
  readonly clockSkewTolerance: number;
  readonly interval: number;
  readonly settings: DecisionSettings;
  readonly events: MonqueEventEmitter;
  readonly logger: Logger;
  /** `processing` jobs, oldest locks first. */
  readonly findProcessing: () => Promise<JobDocument[]>;
  /** This instance's id (jobs recorded as its own that it does not run are orphans at start). */
  readonly owner: string;
  /** Whether this instance runs `doc` under its current claim. */
  readonly runsHere: (doc: JobDocument) => boolean;
  /** The retry rules of `job`, as decided from its document (see `recoveryPolicyFor`). */
  readonly policyOf: (job: JobDocument) => RetryPolicy;
  readonly apply: (outcomes: JobOutcome[]) => Promise<OutcomeResult[]>;
  /** Called after recoveries that made jobs due (to wake the poller). */
  readonly onRecovered: () => void;
  /** What outcomes owe to other jobs (dependents, dead letters): see `follow-ups.ts`. */
  readonly followUps?: Pick<FollowUps, 'prepare' | 'written'>;
  /** The `deadLetter` of `job`'s worker here, if any. */
  readonly workerDeadLetter?: (job: JobDocument) => string | undefined;
}

interface Sighting {
  readonly lock: string;
  readonly since: number;
}

function lockOf(doc: JobDocument): string {
  return `${doc.lockedAt?.getTime() ?? 'none'}:${doc.claimToken ?? 'none'}`;
}

/** Finds and resets stale jobs, once or periodically. */
export class StaleRecovery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private readonly sightings = new Map<string, Sighting>();
  /** When this instance last had a database round trip succeed (its clock, epoch ms). */
  private lastContact: number | undefined;
  /** Since when round trips fail (the last contact before the first failure), while they do. */
  private failingSince: number | undefined;

  constructor(private readonly deps: StaleRecoveryDeps) {}

  /**
   * The result of any database round trip of this instance (`null`: it succeeded). After failures,
   * the first success moves every watch on by the time without contact (see the class comment).
   */
  databaseResult(error: unknown): void {
    const now = this.deps.clock.now().getTime();
    if (error !== null) {
      this.failingSince ??= this.lastContact ?? now;
      return;
    }
    if (this.failingSince !== undefined) this.notCounted(now - this.failingSince);
    this.failingSince = undefined;
    this.lastContact = now;
  }

  /** Moves every watch on by `ms` (time in which the locks' owners may not have been able to renew). */
  private notCounted(ms: number): void {
    if (ms <= 0) return;
    for (const [key, sighting] of this.sightings) this.sightings.set(key, { ...sighting, since: sighting.since + ms });
  }

  /**
   * Looks at every running job's lock; recovers those seen unchanged for `lockTimeout`. At start
   * (`atStart`), jobs recorded as this instance's own are orphans of an earlier process with the
   * same `instanceId` (this one runs nothing yet) and are recovered at once.
   */
  async recoverOnce(atStart = false): Promise<number> {
    let docs: JobDocument[];
    try {
      docs = await this.deps.findProcessing();
      this.databaseResult(null);
    } catch (error) {
      this.databaseResult(error);
      throw error;
    }
    const now = this.deps.clock.now().getTime();
    const stale: JobDocument[] = [];
    const seenNow = new Set<string>();
    for (const doc of docs) {
      const key = doc._id.toHexString();
      if (this.deps.runsHere(doc)) continue;
      seenNow.add(key);
      const lock = lockOf(doc);
      const sighting = this.sightings.get(key);
      // A job without a lock time (left by another tool or a hand edit) is judged by watching only.
      const oldAtFirstSight =
        doc.lockedAt instanceof Date &&
        now - doc.lockedAt.getTime() > this.deps.lockTimeout + this.deps.clockSkewTolerance;
      if (sighting?.lock !== lock) this.sightings.set(key, { lock, since: now });
      const unchangedFor = sighting?.lock === lock ? now - sighting.since : 0;
      const orphan = atStart && doc.owner === this.deps.owner;
      if (unchangedFor >= this.deps.lockTimeout || oldAtFirstSight || orphan) stale.push(doc);
    }
    for (const key of this.sightings.keys()) if (!seenNow.has(key)) this.sightings.delete(key);
    return this.recover(stale);
  }

  private async recover(docs: JobDocument[]): Promise<number> {
    if (docs.length === 0) return 0;
    const { clock, lockTimeout, settings, events } = this.deps;
    const at = clock.now();
    const decisions = docs.map((doc) => {
      const reason =
        doc.owner === this.deps.owner
          ? `lock expired: left by an earlier process with this instanceId (${doc.owner}), which stopped or crashed while running the job`
          : `lock expired: not renewed for ${lockTimeout} ms by ${doc.owner ?? 'its owner'} (stopped or crashed while running the job)`;
      // A job whose cancellation was requested ends cancelled, whoever ran it; a stall is charged nothing.
      const { transition, willRetry } = decideRecovery(doc, reason, at, this.deps.policyOf(doc), settings);
      // Pending again: a late success of the run it was taken from may still complete it.
      const from = transition.status === JobStatus.PENDING && doc.claimToken ? { recoveredFrom: doc.claimToken } : {};
      const outcome: JobOutcome = {
        job: doc,
        transition: { ...transition, ...from, clearClaim: true },
        fence: { claimToken: doc.claimToken ?? null, lockedAt: doc.lockedAt ?? null },
      };
      this.deps.followUps?.prepare(doc, outcome.transition, this.deps.workerDeadLetter?.(doc));
      return { outcome, willRetry };
    });
    const outcomes = decisions.map((decision) => decision.outcome);
    let results: OutcomeResult[];
    try {
      results = await this.deps.apply(outcomes);
    } catch {
      // Perhaps only the reply was lost: sent once more, the same fenced writes are recognised as
      // applied where they were, so each recovery is reported once (a second failure is thrown).
      results = await this.deps.apply(outcomes);
    }
    let recovered = 0;
    decisions.forEach(({ outcome, willRetry }, index) => {
      const result = results[index];
      if (result?.kind !== 'written') return;
      this.deps.followUps?.written(outcome.job, outcome.transition);
      recovered += 1;
      this.sightings.delete(outcome.job._id.toHexString());
      this.deps.logger.warn('recovered a stale job', {
        jobId: outcome.job._id.toHexString(),
        name: outcome.job.name,
        owner: outcome.job.owner,
        willRetry,
      });
      // A job whose cancellation was requested ends as a cancellation, not as a failed attempt.
      if (outcome.transition.status === JobStatus.CANCELLED) {
        events.emit('job:cancelled', { job: jobAfter(toPublicJob(outcome.job), outcome.transition) });
      } else events.emit('job:recovered', { job: toPublicJob(outcome.job), willRetry });
    });
    if (recovered > 0) this.deps.onRecovered();
    return recovered;
  }

  /** Recovers every `interval` ms until stopped; errors are reported as `job:error`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.recoverOnce().catch((error: unknown) => {
        this.deps.events.emit('job:error', { error: error instanceof Error ? error : new Error(String(error)) });
      });
    }, this.deps.interval);
    this.timer.unref();
  }

  /** Stops the timer; resolves after a pass in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sightings.clear();
    this.failingSince = undefined;
    await this.running;
  }
}

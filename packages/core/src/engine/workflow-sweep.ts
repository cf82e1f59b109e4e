/**
 * Finishes what a crashed (or cut-off) instance left of a workflow, every stale-check interval, on
 * every instance (everything it does is safe to repeat, so instances need not
 * agree on who sweeps):
 *
 * 1. finished jobs whose dependents may not have been told (`notifyDependents` still set): told;
 * 2. `waiting` dependents whose linking may not have finished (`linkPending`): linked;
 * 3. failed jobs whose dead letter may not be written (`deadLetterDue`): written;
 * 4. staged flows: made live when their root is live (the writer died after the commit point);
 *    deleted, root first, once seen staged for `stagedGrace` ms by this instance's clock (the writer
 *    died, or gave up, before it).
 * Each step reads at most {@link SWEEP_LIMIT} documents (one `find` on a partial index, so an
 * idle sweep costs four small reads), and the rest waits for the next sweep. The steps do not
 * depend on each other: one that fails (a database error, a document it cannot handle) does not
 * keep the later ones from running; the sweep then rejects with the first error.
 */
import type { ObjectId } from 'mongodb';
import { engineConnectionError } from '../database-errors.js';
import type { MonqueEventEmitter } from '../events.js';
import type { Clock, Logger } from '../monque-options.js';
import type { DeadLetterStore } from '../store/dead-letter-store.js';
import { type DependencyStore, settledOf } from '../store/dependency-store.js';
import type { FlowStore } from '../store/flow-store.js';
import type { InsertStore } from '../store/insert-store.js';
import { type JobDocument, STAGED } from '../store/job-document.js';
import type { ObjectIds } from '../store/object-ids.js';
import { deadLetterOf } from './dead-letters.js';
import type { DependencyRelease } from './dependency-release.js';

/** Most documents each step of one sweep reads. */
export const SWEEP_LIMIT = 1000;

/** What the sweep needs. */
export interface WorkflowSweepDeps {
  readonly dependencies: DependencyStore;
  readonly release: DependencyRelease;
  readonly deadLetters: DeadLetterStore;
  readonly flows: FlowStore;
  readonly inserts: InsertStore;
  readonly ids: ObjectIds;
  readonly clock: Clock;
  readonly events: MonqueEventEmitter;
  readonly logger: Logger;
  /** ms between sweeps (`staleCheckInterval`). */
  readonly interval: number;
  /** How long a flow may stay staged before it is deleted (`operationTimeout`: its writer gave up). */
  readonly stagedGrace: number;
  /** Bounds one step's database work (`operationTimeout`). */
  readonly bounded: <T>(what: string, work: () => Promise<T>) => Promise<T>;
}

/** What one sweep did. */
export interface WorkflowSweepReport {
  told: number;
  linked: number;
  deadLetters: number;
  flowsMadeLive: number;
  flowsDiscarded: number;
}

/** The sweep of workflow leftovers. */
export class WorkflowSweep {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  /** Staged flows seen, by root id, and when (this instance's clock, ms). */
  private readonly stagedSince = new Map<string, number>();

  constructor(private readonly deps: WorkflowSweepDeps) {}

  /**
   * Sweeps once now (see the file comment). Every step runs; a failed one rejects the sweep once
   * the others are done (with the first error).
   */
  async sweepOnce(): Promise<WorkflowSweepReport> {
    const { dependencies, release, deadLetters, bounded, ids, inserts, clock } = this.deps;
    const report: WorkflowSweepReport = { told: 0, linked: 0, deadLetters: 0, flowsMadeLive: 0, flowsDiscarded: 0 };
    const steps: (() => Promise<void>)[] = [
      async () => {
        const untold = await bounded('reading untold dependencies', () => dependencies.findUntold(SWEEP_LIMIT));
        await bounded('telling dependents', () => release.tell(untold.map(settledOf)));
        report.told = untold.length;
      },
      async () => {
        const unlinked = await bounded('reading unlinked dependents', () => dependencies.findUnlinked(SWEEP_LIMIT));
        await bounded('linking dependents', () => release.link(unlinked));
        report.linked = unlinked.length;
      },
      async () => {
        const due = await bounded('reading due dead letters', () => deadLetters.findDue(SWEEP_LIMIT));
        const now = clock.now();
        const letters = due.map((doc) =>
          deadLetterOf(doc as JobDocument & { deadLetterDue: string }, ids, inserts, now),
        );
        await bounded('writing dead letters', () => deadLetters.write(letters));
        report.deadLetters = due.length;
      },
      () => this.sweepStaged(report),
    ];
    const errors: unknown[] = [];
    for (const step of steps) await step().catch((error: unknown) => errors.push(error));
    if (Object.values(report).some((count) => count > 0)) this.deps.logger.debug('workflow sweep', { ...report });
    if (errors.length > 0) throw errors[0];
    return report;
  }

  private async sweepStaged(report: WorkflowSweepReport): Promise<void> {
    const { flows, dependencies, bounded, clock, stagedGrace } = this.deps;
    const staged = await bounded('reading staged flows', () => flows.findStaged(SWEEP_LIMIT));
    const flowIds = new Map<string, ObjectId>();
    for (const doc of staged) if (doc.flowId) flowIds.set(doc.flowId.toHexString(), doc.flowId);
    for (const key of this.stagedSince.keys()) if (!flowIds.has(key)) this.stagedSince.delete(key);
    if (flowIds.size === 0) return;
    const roots = await bounded('reading flow roots', () => dependencies.findJobs([...flowIds.values()]));
    const live = new Set(roots.filter((root) => root.status !== STAGED).map((root) => root._id.toHexString()));
    const now = clock.now().getTime();
    for (const [key, flowId] of flowIds) {
      let makeLive = live.has(key);
      if (!makeLive) {
        const since = this.stagedSince.get(key);
        if (since === undefined) this.stagedSince.set(key, now);
        if (since === undefined || now - since < stagedGrace) continue;
        makeLive = (await bounded('deleting a staged flow', () => flows.discard(flowId))) === 'live';
        if (!makeLive) report.flowsDiscarded += 1;
      }
      this.stagedSince.delete(key);
      if (!makeLive) continue;
      await bounded('making a flow live', async () => {
        await flows.goLive(flowId, clock.now());
        await this.deps.release.link(await flows.findUnlinked(flowId));
      });
      report.flowsMadeLive += 1;
    }
  }

  /** Sweeps every `interval` ms until stopped; errors are reported as `job:error`. */
  start(): void {
    if (this.timer) return;
    const sweep = () => {
      if (this.sweeping) return;
      this.sweeping = this.sweepOnce()
        .catch((error: unknown) =>
          this.deps.events.emit('job:error', { error: engineConnectionError('sweeping workflows', error) }),
        )
        .finally(() => {
          this.sweeping = undefined;
        });
    };
    this.timer = setInterval(sweep, this.deps.interval);
    this.timer.unref();
  }

  /** Stops the timer; resolves after a sweep in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stagedSince.clear();
    await this.sweeping;
  }
}

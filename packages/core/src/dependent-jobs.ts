/**
 * Enqueueing jobs that depend on others (`dependsOn` of `enqueue` and `enqueueMany` items):
 *
 * 1. one `find` of every dependency: an unknown id (or one of a flow not yet live, or being
 *    deleted) or a recurring job is an `InvalidArgumentError`, and nothing is written;
 * 2. the dependencies not completed yet are marked (one `updateMany`, see
 *    `DependencyStore.markDependencies`): one finishing from now on keeps no `expireAt` and tells
 *    its dependents, so retention cannot delete a completed dependency before step 4 sees it;
 * 3. the insert (with the jobs without dependencies of the same call): a job whose dependencies
 *    have all completed is `pending` at once; the others are `waiting`, with `linkPending`;
 * 4. linking (see `DependencyRelease.link`, marked already): those that finished meanwhile tell
 *    their dependents at once (released, or cancelled), and the caller gets each job as that left it.
 * A crash after step 3 leaves `linkPending` for the workflow sweep. So does a failed linking: once the
 * insert landed the job exists and will run (the sweep links it within one stale-check interval), so
 * the call resolves with the job as inserted (`waiting`) rather than reject as if nothing was
 * written; a later retry of the call would create a second job. Inside the caller's transaction
 * (`session`), step 2 comes after the insert, atomic with it, and is all of the linking; a
 * dependency that fails meanwhile is told by the sweep.
 */
import type { ClientSession, ObjectId } from 'mongodb';
import { afterTelling, type DependencyRelease, type Told } from './engine/dependency-release.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { type DependencyFailurePolicy, JobStatus } from './job.js';
import type { Logger } from './monque-options.js';
import type { DependencyStore } from './store/dependency-store.js';
import type { InsertResult, InsertStore, NewJob } from './store/insert-store.js';
import { ACTIVE_STATUSES, activeKeyOf, type JobDocument, STAGED } from './store/job-document.js';
import type { ObjectIds } from './store/object-ids.js';

/** Most distinct dependencies one call may name. */
export const MAX_DEPENDENCIES_PER_CALL = 10_000;

/** A job to enqueue, with its dependencies when it has any. */
export interface DependentJob {
  readonly job: NewJob;
  /** Its dependencies, checked (ids of the `Db`'s driver, none repeated); absent or empty: none. */
  readonly dependsOn?: readonly ObjectId[];
  readonly onDependencyFailure?: DependencyFailurePolicy;
  /** How errors name its `dependsOn` (`options.dependsOn`, `jobs[3].options.dependsOn`). */
  readonly argument: string;
}

/** What enqueueing dependents needs. */
export interface DependentJobsDeps {
  readonly inserts: InsertStore;
  readonly store: DependencyStore;
  readonly release: DependencyRelease;
  readonly ids: ObjectIds;
  /** Told when linking fails after the insert (the sweep finishes it). */
  readonly logger?: Logger;
}

function isFinished(doc: JobDocument): boolean {
  return doc.status === JobStatus.COMPLETED || doc.status === JobStatus.FAILED || doc.status === JobStatus.CANCELLED;
}

/** The dependencies of the `waiting` ones of `jobs` not settled yet, each once. */
function unsettledOf(jobs: readonly Partial<JobDocument>[]): ObjectId[] {
  const unsettled = new Map<string, ObjectId>();
  for (const job of jobs) {
    if (job.status !== JobStatus.WAITING) continue;
    const settled = new Set((job.settledDependencies ?? []).map((id) => id.toHexString()));
    for (const id of job.dependsOn ?? []) if (!settled.has(id.toHexString())) unsettled.set(id.toHexString(), id);
  }
  return [...unsettled.values()];
}

/** Whether `doc` holds the unique key of `job` (enqueueing `job` would return `doc` itself). */
function holdsKeyOf(doc: JobDocument, job: NewJob): boolean {
  return (
    job.uniqueKey !== undefined &&
    doc.name === job.name &&
    doc.activeKey === activeKeyOf('u', job.uniqueKey) &&
    ACTIVE_STATUSES.includes(doc.status)
  );
}

/** Inserts jobs with dependencies. */
export class DependentJobs {
  constructor(private readonly deps: DependentJobsDeps) {}

  /**
   * The stored dependencies of `items`, by hex id (one `find`).
   * @throws InvalidArgumentError for an unknown id, a recurring job, or the job holding the item's
   *   unique key (it would depend on itself), naming the item's argument
   */
  async checkDependencies(items: readonly DependentJob[], session?: ClientSession): Promise<Map<string, JobDocument>> {
    const wanted = new Map<string, ObjectId>();
    for (const item of items) for (const id of item.dependsOn ?? []) wanted.set(id.toHexString(), id);
    if (wanted.size > MAX_DEPENDENCIES_PER_CALL) {
      throw new InvalidArgumentError(
        'jobs',
        `at most ${MAX_DEPENDENCIES_PER_CALL} distinct dependencies per call, got ${wanted.size}`,
      );
    }
    const found = new Map(
      (await this.deps.store.findJobs([...wanted.values()], session)).map((doc) => [doc._id.toHexString(), doc]),
    );
    for (const item of items) {
      (item.dependsOn ?? []).forEach((id, index) => {
        const doc = found.get(id.toHexString());
        const at = `${item.argument}[${index}]`;
        if (!doc || doc.status === STAGED || doc.deleting) {
          throw new InvalidArgumentError(at, `no job with id ${id.toHexString()} exists`);
        }
        if (doc.repeatInterval !== undefined) {
          throw new InvalidArgumentError(
            at,
            `job ${id.toHexString()} ('${doc.name}') is recurring: it never completes, so nothing can wait for it`,
          );
        }
        if (holdsKeyOf(doc, item.job)) {
          throw new InvalidArgumentError(
            item.argument,
            `job ${id.toHexString()} holds this job's uniqueKey and is one of its dependencies: a job cannot depend on itself`,
          );
        }
      });
    }
    return found;
  }

  /** `item`'s job with its dependency fields: `pending` when every dependency completed, else `waiting`. */
  private plan(item: DependentJob, found: Map<string, JobDocument>, inTransaction: boolean): NewJob {
    const dependsOn = item.dependsOn ?? [];
    if (dependsOn.length === 0) return item.job;
    const run = item.onDependencyFailure === 'run';
    const settled = dependsOn.filter((id) => {
      const doc = found.get(id.toHexString()) as JobDocument;
      return doc.status === JobStatus.COMPLETED || (run && isFinished(doc));
    });
    const ready = settled.length === dependsOn.length;
    const fields: Partial<JobDocument> = {
      _id: this.deps.ids.create(),
      status: ready ? JobStatus.PENDING : JobStatus.WAITING,
      dependsOn: [...dependsOn],
      ...(item.job.fields ?? {}),
    };
    if (settled.length > 0) fields.settledDependencies = settled;
    if (!ready && !inTransaction) fields.linkPending = true;
    if (run) fields.onDependencyFailure = 'run';
    return { ...item.job, fields };
  }

  /**
   * Inserts `items` (see the file comment) and returns each item's job (or the error that kept it
   * out), in order. A unique key held already returns its holder, unchanged, as `enqueue` does.
   * A failed linking after the insert is left to the sweep (see the file comment): the jobs are
   * returned `waiting`.
   * @throws InvalidArgumentError (nothing written) for a bad dependency, or when the job holding an
   *   item's unique key is one of that item's dependencies (it would depend on itself)
   * @param signal - the caller's (outside a transaction): the insert is never sent after it aborted
   */
  async insert(
    items: readonly DependentJob[],
    now: Date,
    session?: ClientSession,
    signal?: AbortSignal,
  ): Promise<InsertResult[]> {
    const found = await this.checkDependencies(items, session);
    const inTransaction = session?.inTransaction() ?? false;
    const planned = items.map((item) => this.plan(item, found, inTransaction));
    if (!inTransaction) await this.deps.store.markDependencies(unsettledOf(planned.map((job) => job.fields ?? {})));
    const results = await this.deps.inserts.insertBatch(planned, now, session, signal);
    const ours = (index: number): JobDocument | undefined => {
      const result = results[index] as InsertResult;
      const id = planned[index]?.fields?._id;
      return 'doc' in result && id !== undefined && result.doc._id.equals(id) ? result.doc : undefined;
    };
    const waiting = planned.flatMap((_, index) => {
      const doc = ours(index);
      return doc?.status === JobStatus.WAITING ? [doc] : [];
    });
    let told: Told = { released: new Map(), cancelled: new Map() };
    if (inTransaction) {
      await this.deps.store.markDependencies(unsettledOf(waiting), session);
    } else {
      // The jobs exist now: a failed linking is finished by the sweep (their `linkPending`).
      told = await this.deps.release.link(waiting, true).catch((error: unknown) => {
        this.deps.logger?.warn(
          'enqueue: the job is written, but linking it to its dependencies failed; the sweep will',
          {
            error: error instanceof Error ? error.message : String(error),
          },
        );
        return told;
      });
    }
    return results.map((result) => ('doc' in result ? { doc: afterTelling(result.doc, told) } : result));
  }
}

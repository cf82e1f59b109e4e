/**
 * Enqueueing jobs that depend on others (`dependsOn` of `enqueue` and `enqueueMany` items):
 *
 * 1. one `find` of every dependency: an unknown id (or one of a flow not yet live, or being
 *    deleted) or a recurring job is an `InvalidArgumentError`, and nothing is written;
 * 2. the insert (with the jobs without dependencies of the same call): a job whose dependencies
 *    have all completed is `pending` at once; the others are `waiting`, with `linkPending`;
 * 3. linking (see `DependencyRelease.link`): the dependencies are marked, and those that finished
 *    meanwhile tell their dependents at once (released, or cancelled), and the caller gets each job
 *    as that left it.
 * A crash after step 2 leaves `linkPending` for the workflow sweep. Inside the caller's transaction
 * (`session`), step 3 is one `updateMany` marking the dependencies, atomic with the insert; a
 * dependency that fails meanwhile is told by the sweep.
 */
import type { ClientSession, ObjectId } from 'mongodb';
import { afterTelling, type DependencyRelease, type Told } from './engine/dependency-release.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { type DependencyFailurePolicy, JobStatus } from './job.js';
import type { DependencyStore } from './store/dependency-store.js';
import type { InsertResult, InsertStore, NewJob } from './store/insert-store.js';
import { type JobDocument, STAGED } from './store/job-document.js';
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
}

function isFinished(doc: JobDocument): boolean {
  return doc.status === JobStatus.COMPLETED || doc.status === JobStatus.FAILED || doc.status === JobStatus.CANCELLED;
}

/** Inserts jobs with dependencies. */
export class DependentJobs {
  constructor(private readonly deps: DependentJobsDeps) {}

  /**
   * The stored dependencies of `items`, by hex id (one `find`).
   * @throws InvalidArgumentError for an unknown id or a recurring job, naming the item's argument
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
   * @throws InvalidArgumentError (nothing written) for a bad dependency, or when the job holding an
   *   item's unique key is one of that item's dependencies (it would depend on itself)
   */
  async insert(items: readonly DependentJob[], now: Date, session?: ClientSession): Promise<InsertResult[]> {
    const found = await this.checkDependencies(items, session);
    const inTransaction = session?.inTransaction() ?? false;
    const planned = items.map((item) => this.plan(item, found, inTransaction));
    const results = await this.deps.inserts.insertBatch(planned, now, session);
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
      const unsettled = waiting.flatMap((doc) => {
        const settled = new Set((doc.settledDependencies ?? []).map((id) => id.toHexString()));
        return (doc.dependsOn ?? []).filter((id) => !settled.has(id.toHexString()));
      });
      await this.deps.store.markDependencies(unsettled, session);
    } else {
      told = await this.deps.release.link(waiting);
    }
    items.forEach((item, index) => {
      const result = results[index] as InsertResult;
      if (!('doc' in result)) return;
      const doc = result.doc;
      if (ours(index) || !item.dependsOn?.some((id) => id.equals(doc._id))) return;
      throw new InvalidArgumentError(
        item.argument,
        `job ${doc._id.toHexString()} holds this job's uniqueKey and is one of its dependencies: a job cannot depend on itself`,
      );
    });
    return results.map((result) => ('doc' in result ? { doc: afterTelling(result.doc, told) } : result));
  }
}

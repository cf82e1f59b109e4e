/**
 * Telling dependents how their dependencies finished, down the graph, and linking new dependents to
 * their dependencies. Used by the instance that finished a job (its runner, through
 * {@link FollowUps}), by operations that finish or delete jobs (`cancelJob`, `deleteJob` …), by
 * enqueues of dependents and by the workflow sweep. Everything here is safe to repeat: a crash at
 * any point leaves a marker (`notifyDependents` on a finished job, `linkPending` on a dependent)
 * that the sweep finds and finishes within one stale-check interval.
 */
import type { ObjectId } from 'mongodb';
import type { MonqueEventEmitter } from '../events.js';
import { JobStatus } from '../job.js';
import type { DependencyResult } from '../job-options.js';
import type { Clock } from '../monque-options.js';
import { type DependencyStore, type SettledDependency, settledOf } from '../store/dependency-store.js';
import { FINISHED_STATUSES, type JobDocument, toPublicJob } from '../store/job-document.js';

/** Most rounds of one telling: how deep a chain of cancellations is followed at once. */
export const MAX_TELL_ROUNDS = 1000;

/** What telling needs. */
export interface DependencyReleaseDeps {
  readonly store: DependencyStore;
  readonly clock: Clock;
  readonly events: MonqueEventEmitter;
  /** Dependents of `name` became `pending`, due at `at` (to wake a poller). */
  readonly onReleased: (name: string, at: Date) => void;
}

function uniqueIds(ids: readonly ObjectId[]): ObjectId[] {
  const byHex = new Map(ids.map((id) => [id.toHexString(), id]));
  return [...byHex.values()];
}

/** What telling changed: dependents released (with their due times) and cancelled, by hex id. */
export interface Told {
  readonly released: Map<string, Date>;
  readonly cancelled: Map<string, JobDocument>;
}

/** `doc` as telling left it. */
export function afterTelling(doc: JobDocument, told: Told): JobDocument {
  const key = doc._id.toHexString();
  const cancelled = told.cancelled.get(key);
  if (cancelled) return cancelled;
  const nextRunAt = told.released.get(key);
  return nextRunAt ? { ...doc, status: JobStatus.PENDING, nextRunAt } : doc;
}

/** Tells dependents and links them. */
export class DependencyRelease {
  constructor(private readonly deps: DependencyReleaseDeps) {}

  /**
   * Tells the dependents of `settled` (finished, or gone) how they ended; dependents cancelled on
   * the way tell theirs in the next round, and so on down the graph. A few commands per round,
   * however many dependents. Emits `job:cancelled` for each dependent it cancelled.
   */
  async tell(settled: readonly SettledDependency[]): Promise<Told> {
    const { store, clock, events, onReleased } = this.deps;
    const told: Told = { released: new Map(), cancelled: new Map() };
    const seen = new Set<string>();
    let round = [...settled];
    for (let depth = 0; round.length > 0 && depth < MAX_TELL_ROUNDS; depth += 1) {
      for (const dependency of round) seen.add(dependency.id.toHexString());
      const result = await store.tellDependents(round, clock.now());
      for (const { id, name, nextRunAt } of result.released) {
        told.released.set(id.toHexString(), nextRunAt);
        onReleased(name, nextRunAt);
      }
      for (const doc of result.cancelled) {
        told.cancelled.set(doc._id.toHexString(), doc);
        events.emit('job:cancelled', { job: toPublicJob(doc) });
      }
      round = result.next.filter((dependency) => !seen.has(dependency.id.toHexString()));
    }
    return told;
  }

  /**
   * Links `waiting` dependents to their dependencies: marks every dependency (one `updateMany`),
   * reads them (one `find`), tells the dependents of those already finished or gone (which may
   * release or cancel these dependents at once), then ends the linking (one `updateMany`). A
   * dependency that finishes meanwhile either saw the marker (its outcome write is fenced on it)
   * or is seen finished here.
   */
  async link(dependents: readonly Pick<JobDocument, '_id' | 'dependsOn'>[]): Promise<Told> {
    if (dependents.length === 0) return { released: new Map(), cancelled: new Map() };
    const { store } = this.deps;
    const ids = uniqueIds(dependents.flatMap((doc) => doc.dependsOn ?? []));
    await store.markDependencies(ids);
    const found = new Map((await store.findJobs(ids)).map((doc) => [doc._id.toHexString(), doc]));
    const settled: SettledDependency[] = [];
    for (const id of ids) {
      const doc = found.get(id.toHexString());
      if (!doc) settled.push({ id, name: '', outcome: 'deleted' });
      else if (FINISHED_STATUSES.includes(doc.status)) settled.push(settledOf(doc));
    }
    const told = await this.tell(settled);
    await store.linked(dependents.map((doc) => doc._id));
    return told;
  }
}

/**
 * What the handler's `dependencies()` returns for `job`: its dependencies in `dependsOn` order,
 * each with its status and result (one `find` by `_id`); those deleted meanwhile are left out.
 */
export async function dependencyResults(store: DependencyStore, job: JobDocument): Promise<DependencyResult[]> {
  const dependsOn = job.dependsOn ?? [];
  const found = new Map((await store.findJobs(dependsOn)).map((doc) => [doc._id.toHexString(), doc]));
  return dependsOn.flatMap((id) => {
    const doc = found.get(id.toHexString());
    return doc ? [{ jobId: doc._id, name: doc.name, status: doc.status, result: doc.result }] : [];
  });
}

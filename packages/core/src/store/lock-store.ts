/**
 * Locks of running jobs: renewing them (the heartbeat), learning which runs lost their job or were
 * asked to stop, and reading the locks that stale recovery watches.
 */
import type { Collection, Filter, ObjectId } from 'mongodb';
import { JobStatus } from '../job.js';
import type { JobDocument } from './job-document.js';

/** One run this instance holds: the job and the claim it runs under. */
export interface HeldRun {
  id: ObjectId;
  token: string;
}

/** What a renewal learnt about runs it could not renew as usual. */
export interface RenewalReport {
  /** Jobs this instance no longer holds (recovered by another instance, released, deleted). */
  lost: ObjectId[];
  /** Jobs still held whose cancellation was requested, with the reason given. */
  cancelled: { id: ObjectId; reason: string | undefined }[];
}

function heldFilter(owner: string, runs: readonly HeldRun[]): Filter<JobDocument> {
  const byToken = new Map<string, ObjectId[]>();
  for (const { id, token } of runs) byToken.set(token, [...(byToken.get(token) ?? []), id]);
  const pairs = [...byToken].map(([token, ids]) => ({ claimToken: token, _id: { $in: ids } }));
  return { owner, status: JobStatus.PROCESSING, $or: pairs };
}

/** Reads and renews locks. */
export class LockStore {
  constructor(private readonly collection: Collection<JobDocument>) {}

  /**
   * Renews the locks of `runs` (one `updateMany` by id and claim token). Runs whose cancellation was
   * requested are left out of it; when any run is not renewed, one `find` says why, and the
   * cancelled ones are renewed by one more `updateMany` (their handlers are being stopped, and the
   * job must not look stale meanwhile).
   */
  async renew(owner: string, runs: readonly HeldRun[], now: Date): Promise<RenewalReport> {
    const report: RenewalReport = { lost: [], cancelled: [] };
    if (runs.length === 0) return report;
    const renewed = await this.collection.updateMany(
      { ...heldFilter(owner, runs), cancelRequestedAt: { $exists: false } },
      { $set: { lockedAt: now } },
    );
    if (renewed.matchedCount >= runs.length) return report;
    const docs = await this.collection.find({ _id: { $in: runs.map((run) => run.id) } }).toArray();
    const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
    const stillHeld: HeldRun[] = [];
    for (const run of runs) {
      const doc = byId.get(run.id.toHexString());
      const held = doc?.status === JobStatus.PROCESSING && doc.owner === owner && doc.claimToken === run.token;
      if (!held) report.lost.push(run.id);
      else if (doc.cancelRequestedAt) {
        report.cancelled.push({ id: run.id, reason: doc.cancelReason });
        stillHeld.push(run);
      }
    }
    if (stillHeld.length > 0) {
      await this.collection.updateMany(heldFilter(owner, stillHeld), { $set: { lockedAt: now } });
    }
    return report;
  }

  /**
   * `processing` jobs, the oldest locks first, at most `limit` (index `monque_stale`): what stale
   * recovery watches.
   */
  findProcessing(limit: number): Promise<JobDocument[]> {
    return this.collection.find({ status: JobStatus.PROCESSING }).sort({ lockedAt: 1 }).limit(limit).toArray();
  }

  /** Stores a run's progress, fenced on its claim (one `update`). @returns whether it was stored */
  async setProgress(run: HeldRun, progress: number | Record<string, unknown>): Promise<boolean> {
    const result = await this.collection.updateOne(
      { _id: run.id, status: JobStatus.PROCESSING, claimToken: run.token },
      { $set: { progress } },
    );
    return result.matchedCount > 0;
  }

  /** One job by id. */
  findById(id: ObjectId): Promise<JobDocument | null> {
    return this.collection.findOne({ _id: id });
  }

  /** Asks the server to answer (`ping`). */
  async ping(): Promise<void> {
    await this.collection.db.command({ ping: 1 });
  }
}

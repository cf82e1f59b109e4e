/**
 * Writing a `flow()` as one unit without a transaction. A multi-document insert is not atomic (a
 * dropped connection, a lost reply, a server refusing part of a batch), so a flow is written in
 * three steps, and its root is the commit point:
 *
 * 1. every job is inserted {@link STAGED} (not claimable, selected by no public query), the root
 *    first, in one ordered `insert`: what a failed insert leaves is always a prefix holding the
 *    root. When the insert reports an error, one `find` by `_id` says whether all of it is there
 *    (a lost reply) or not (a dropped or refused insert: then it is deleted, root first);
 * 2. the root goes live (`waiting`, or `pending` when it has no dependency): one `findAndModify`
 *    guarded by `status: 'staged'`. From here the flow exists;
 * 3. the other jobs go live (one ordered `bulkWrite`: jobs with dependencies `waiting`, the others
 *    `pending`), parents first, so a crash in between leaves nothing runnable.
 *
 * Leftovers, found by the workflow sweep (`findStaged`): jobs of a flow whose root is live are made
 * live ({@link FlowStore.goLive}); jobs of a flow whose root is still staged (or gone) after
 * `operationTimeout` are deleted, root first ({@link FlowStore.discard}), so a `flow()` that is
 * still writing cannot make a flow live once its root is gone. Indexes: `monque_flow`
 * (`flowId`, `status`), `monque_list_status` (staged jobs).
 */
import type { ClientSession, Collection, ObjectId, OptionalId } from 'mongodb';
import { JobStatus } from '../job.js';
import { type JobDocument, STAGED } from './job-document.js';

/** Writes flows. */
export class FlowStore {
  constructor(private readonly collection: Collection<JobDocument>) {}

  /** Inserts `docs` as they are, in order (one ordered `insert`). */
  async insert(docs: readonly OptionalId<JobDocument>[], session?: ClientSession): Promise<void> {
    await this.collection.insertMany(docs as JobDocument[], { ordered: true, session });
  }

  /** Which of `ids` exist (one `find` by `_id`). */
  async present(ids: readonly ObjectId[]): Promise<Set<string>> {
    const found = await this.collection.find({ _id: { $in: [...ids] } }, { projection: { _id: 1 } }).toArray();
    return new Set(found.map((doc) => doc._id.toHexString()));
  }

  /**
   * Step 2: the staged root goes live (one `findAndModify` guarded by `status: 'staged'`).
   * @returns the root as it is now, or `null` when it was not staged (gone, or live already)
   */
  commitRoot(root: Pick<JobDocument, '_id' | 'dependsOn'>, now: Date): Promise<JobDocument | null> {
    const status = root.dependsOn ? JobStatus.WAITING : JobStatus.PENDING;
    return this.collection.findOneAndUpdate(
      { _id: root._id, status: STAGED },
      { $set: { status, updatedAt: now } },
      { returnDocument: 'after' },
    );
  }

  /** Step 3: the staged jobs of the flow `flowId` go live, parents first (one ordered `bulkWrite`). */
  async goLive(flowId: ObjectId, now: Date): Promise<void> {
    const staged = { flowId, status: STAGED };
    await this.collection.bulkWrite(
      [
        {
          updateMany: {
            filter: { ...staged, dependsOn: { $exists: true } },
            update: { $set: { status: JobStatus.WAITING, updatedAt: now } },
          },
        },
        { updateMany: { filter: staged, update: { $set: { status: JobStatus.PENDING, updatedAt: now } } } },
      ],
      { ordered: true },
    );
  }

  /**
   * Deletes the staged flow `flowId`: its root first (only while staged: once it is gone, the flow
   * can never go live), then its other staged jobs, unless the root turns out to be live (it went
   * live first: the flow exists, and its jobs are to go live instead).
   * @returns `'live'` when the root is live, else `'discarded'`
   */
  async discard(flowId: ObjectId): Promise<'live' | 'discarded'> {
    const { deletedCount } = await this.collection.deleteOne({ _id: flowId, status: STAGED });
    if (deletedCount === 0 && (await this.collection.countDocuments({ _id: flowId })) > 0) return 'live';
    await this.collection.deleteMany({ flowId, status: STAGED });
    return 'discarded';
  }

  /** Staged jobs, oldest first (index `monque_list_status`). */
  findStaged(limit: number): Promise<JobDocument[]> {
    return this.collection
      .find({ status: STAGED }, { projection: { _id: 1, flowId: 1, status: 1 } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
  }

  /** The jobs of flow `flowId` that wait for their linking (nodes with dependencies outside the flow). */
  findUnlinked(flowId: ObjectId): Promise<JobDocument[]> {
    return this.collection.find({ flowId, linkPending: true, status: JobStatus.WAITING }).toArray();
  }

  /** How many jobs of flow `flowId` there are, and how many completed (index `monque_flow`). */
  async progress(flowId: ObjectId): Promise<{ total: number; completed: number }> {
    const [total, completed] = await Promise.all([
      this.collection.countDocuments({ flowId }),
      this.collection.countDocuments({ flowId, status: JobStatus.COMPLETED }),
    ]);
    return { total, completed };
  }
}

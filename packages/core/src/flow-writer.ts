/**
 * `flow()`: a tree of jobs, each parent depending on its children, written as one unit. With a
 * session in a transaction, every job is inserted in its final status inside it. Without, the flow
 * is staged and then made live by its root (see `store/flow-store.ts`): a dropped or lost insert
 * leaves either the whole flow, made live, or nothing.
 */
import type { ClientSession, OptionalId } from 'mongodb';
import type { DependentJobs } from './dependent-jobs.js';
import type { DependencyRelease } from './engine/dependency-release.js';
import type { FlowNode } from './flow-spec.js';
import { JobStatus } from './job.js';
import type { Logger } from './monque-options.js';
import type { DependencyStore } from './store/dependency-store.js';
import type { FlowStore } from './store/flow-store.js';
import type { InsertStore, NewJob } from './store/insert-store.js';
import { type JobDocument, STAGED, type TraceCarrier, toPublicJob } from './store/job-document.js';
import type { ObjectIds } from './store/object-ids.js';
import type { CheckedFlowJob } from './validation/flow-spec.js';

/** What writing a flow needs. */
export interface FlowWriterDeps {
  readonly inserts: InsertStore;
  readonly flows: FlowStore;
  readonly store: DependencyStore;
  readonly dependents: DependentJobs;
  readonly release: DependencyRelease;
  readonly ids: ObjectIds;
  readonly logger: Logger;
}

/** The flow could not be made live; nothing of it is kept. */
export class FlowNotWrittenError extends Error {
  constructor(reason: string) {
    super(`flow(): ${reason}; nothing of it was kept`);
    this.name = 'FlowNotWrittenError';
  }
}

/** Writes flows. */
export class FlowWriter {
  constructor(private readonly deps: FlowWriterDeps) {}

  /** The documents of `jobs` (root first), staged unless inside a transaction. */
  private documents(
    jobs: readonly CheckedFlowJob[],
    settled: Map<string, JobDocument>,
    now: Date,
    inTransaction: boolean,
    trace: TraceCarrier | undefined,
  ): OptionalId<JobDocument>[] {
    const ids = jobs.map(() => this.deps.ids.create());
    const flowId = ids[0];
    return jobs.map((job, position) => {
      const { runAt, onDependencyFailure, deadLetter, ...policy } = job.options;
      const dependsOn = [...job.children.map((child) => ids[child]), ...job.external];
      const done = job.external.filter((id) => {
        const status = settled.get(id.toHexString())?.status;
        return status === JobStatus.COMPLETED || (onDependencyFailure === 'run' && status !== undefined);
      });
      const live = dependsOn.length > done.length ? JobStatus.WAITING : JobStatus.PENDING;
      const fields: Partial<JobDocument> = { _id: ids[position], flowId, status: inTransaction ? live : STAGED };
      if (dependsOn.length > 0) fields.dependsOn = dependsOn as JobDocument['dependsOn'];
      if (done.length > 0) fields.settledDependencies = done;
      if (job.parent >= 0) fields.notifyDependents = true;
      if (job.external.length > 0 && !inTransaction) fields.linkPending = true;
      if (onDependencyFailure === 'run') fields.onDependencyFailure = 'run';
      if (deadLetter !== undefined) fields.deadLetter = deadLetter;
      const newJob: NewJob = { name: job.name, data: job.data, nextRunAt: runAt ?? now, createdAt: now, fields };
      Object.assign(newJob, policy);
      if (trace) newJob.trace = trace;
      return this.deps.inserts.newDocument(newJob, now);
    });
  }

  /**
   * Writes the flow `jobs` (checked, root first) and returns its tree.
   * @throws InvalidArgumentError for an unknown or recurring dependency (nothing written)
   */
  async write(
    jobs: readonly CheckedFlowJob[],
    now: Date,
    session: ClientSession | undefined,
    trace: TraceCarrier | undefined,
  ): Promise<FlowNode> {
    const { dependents, flows, store } = this.deps;
    const settled = await dependents.checkDependencies(
      jobs.map((job) => ({
        job: { name: job.name, data: job.data, nextRunAt: now },
        dependsOn: job.external,
        argument: `${job.path}.options.dependsOn`,
      })),
      session,
    );
    const inTransaction = session?.inTransaction() ?? false;
    const docs = this.documents(jobs, settled, now, inTransaction, trace) as JobDocument[];
    const root = docs[0] as JobDocument;
    if (inTransaction) {
      await flows.insert(docs, session);
      const unsettled = docs.flatMap((doc) =>
        (doc.dependsOn ?? []).filter(
          (id) => settled.has(id.toHexString()) && !(doc.settledDependencies ?? []).some((done) => done.equals(id)),
        ),
      );
      await store.markDependencies(unsettled, session);
      return this.tree(jobs, docs);
    }
    await this.insertStaged(docs);
    await this.commit(root, now);
    const live = docs.map((doc) => ({ ...doc, status: doc.dependsOn ? JobStatus.WAITING : JobStatus.PENDING }));
    try {
      await flows.goLive(root._id, now);
      await this.deps.release.link(live.filter((doc) => doc.linkPending));
    } catch (error) {
      // The flow exists (its root is live): the workflow sweep makes the rest of it live and links it.
      this.deps.logger.warn('flow(): the flow is written, but making all of it live failed; the sweep will', {
        flowId: root._id.toHexString(),
        error: error instanceof Error ? error.message : String(error),
      });
    }
    return this.tree(jobs, live);
  }

  /** Step 1: the staged insert. A reported failure is checked: all of it there, or none kept. */
  private async insertStaged(docs: readonly JobDocument[]): Promise<void> {
    try {
      await this.deps.flows.insert(docs);
    } catch (error) {
      const present = await this.deps.flows.present(docs.map((doc) => doc._id)).catch(() => undefined);
      if (present?.size === docs.length) return;
      await this.discard((docs[0] as JobDocument)._id);
      throw error;
    }
  }

  /** Step 2: the root goes live; a lost reply is told from a flow removed meanwhile. */
  private async commit(root: JobDocument, now: Date): Promise<void> {
    let failure: unknown = new FlowNotWrittenError(
      'the staged flow was removed before it went live (it took longer than operationTimeout)',
    );
    try {
      if (await this.deps.flows.commitRoot(root, now)) return;
    } catch (error) {
      failure = error;
    }
    const [stored] = await this.deps.store.findJobs([root._id]).catch(() => []);
    if (stored && stored.status !== STAGED) return;
    await this.discard(root._id);
    throw failure;
  }

  /** Deletes what was staged; a failure is left to the sweep. */
  private async discard(flowId: JobDocument['_id']): Promise<void> {
    await this.deps.flows.discard(flowId).catch(() => undefined);
  }

  /** The tree of `jobs` with their documents. */
  private tree(jobs: readonly CheckedFlowJob[], docs: readonly JobDocument[]): FlowNode {
    const nodes: FlowNode[] = docs.map((doc) => ({ job: toPublicJob(doc), children: [] }));
    jobs.forEach((job, position) => {
      const node = nodes[position] as FlowNode;
      for (const child of job.children) node.children.push(nodes[child] as FlowNode);
    });
    return nodes[0] as FlowNode;
  }
}

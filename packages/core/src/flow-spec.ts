/**
 * `flow()`: a tree of jobs enqueued as one unit, in which each parent depends on its children.
 */
import type { ClientSession } from 'mongodb';
import type { Job } from './job.js';
import type { IsUntypedJobMap } from './job-map.js';
import type { EnqueueOptions } from './job-options.js';

/** The options of one job of a flow: those of `enqueue`, but no unique key and no session. */
export type FlowJobOptions = Omit<EnqueueOptions, 'session' | 'uniqueKey'>;

/**
 * One job of a flow and the jobs it depends on. A parent runs once every child has completed
 * (`onDependencyFailure` in its options says what happens when one does not); its handler reads
 * their results with `dependencies()`.
 */
export interface FlowSpec<T = unknown, N extends string = string> {
  name: N;
  data: T;
  /** `dependsOn` here adds existing jobs to the children it waits for. */
  options?: FlowJobOptions;
  /** The jobs this one depends on. */
  children?: readonly FlowSpec<unknown, N>[];
}

/** A flow spec of the job map `J`: each job's payload checked against its own name when typed. */
export type FlowSpecOf<J> =
  IsUntypedJobMap<J> extends true
    ? FlowSpec
    : {
        [N in Extract<keyof J, string>]: {
          name: N;
          data: J[N];
          options?: FlowJobOptions;
          children?: readonly FlowSpecOf<J>[];
        };
      }[Extract<keyof J, string>];

/** What `flow()` returns: the tree as given, each spec with the job written for it. */
export interface FlowNode<T = unknown> {
  job: Job<T>;
  children: FlowNode[];
}

/** Options of `flow()`. */
export interface FlowOptions {
  /**
   * A session with a transaction in progress: the flow exists if and only if the transaction
   * commits. Without one, the flow is staged, then made live by one write (see the Workflows guide).
   */
  session?: ClientSession;
}

/** Most jobs in one flow. */
export const MAX_FLOW_JOBS = 10_000;

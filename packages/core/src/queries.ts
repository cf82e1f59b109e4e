/**
 * What the operations API takes and returns: job queries, pages and statistics.
 */
import type { ObjectId } from 'mongodb';
import type { Job, JobStatusType } from './job.js';
import type { JobId } from './public-api.js';

/** A value `query.data` can match by equality. */
export type DataFieldValue = string | number | boolean | null | Date;

/**
 * Which jobs an operations call applies to. Every field narrows the selection (AND); an empty
 * query selects every job. Values are matched by equality, never read as query operators.
 */
export interface JobQuery<N extends string = string> {
  /**
   * Only these jobs (1 to 1000 ids, `ObjectId`s or 24-hex-digit strings): the jobs an operator
   * selected, for example. Served by the `_id` index.
   */
  ids?: readonly (ObjectId | string)[];
  /** One job name or several. */
  name?: N | readonly N[];
  /** One status or several. */
  status?: JobStatusType | readonly JobStatusType[];
  /** The job's `uniqueKey`. */
  uniqueKey?: string;
  /** The job's `group` (see the flow-control options), by equality. */
  group?: string;
  /**
   * Payload fields by equality; keys are paths inside `data`, dotted for nested fields
   * (`{ 'customer.id': 42 }`). Declare paths you search often in the `dataIndexes` option.
   * At least one field: `{}` is refused (leave `data` out to match any job). A field named
   * `__proto__` is matched like any other when it is an own key (`Object.fromEntries`, `JSON.parse`).
   */
  data?: Readonly<Record<string, DataFieldValue>>;
  /** Created at or after this time. */
  createdAfter?: Date;
  /** Created before this time. */
  createdBefore?: Date;
  /** Finished (completed, failed or cancelled) before this time. */
  finishedBefore?: Date;
  /** Jobs that depend on this job: its dependents. */
  dependsOn?: JobId;
  /** The jobs of the flow whose root is this job (`getStats({ flowId })`: the flow's progress). */
  flowId?: JobId;
}

/** The order of `getJobs`'s pages. */
export interface JobSort {
  /**
   * - `'created'`: the order the jobs were inserted in (by `_id`);
   * - `'nextRun'`: by `nextRunAt` (when the job is, or was last, due);
   * - `'finished'`: by `finishedAt`; jobs not finished sort as a missing value does in MongoDB:
   *   after the finished ones when descending, before them when ascending.
   * Ties are broken by `_id`. Only `'created'` pages stay exact while jobs change: a job whose
   * `nextRunAt` or `finishedAt` changes between two pages may be listed twice or not at all.
   */
  by: 'created' | 'nextRun' | 'finished';
  /**
   * @defaultValue `'desc'` for `created` and `finished` (newest first), `'asc'` for `nextRun`
   * (soonest first)
   */
  order?: 'asc' | 'desc';
}

/** Which page of `getJobs` to read. */
export interface JobPage {
  /** The `nextCursor` of the previous page; omitted for the first page. */
  cursor?: string;
  /**
   * Jobs per page, 1 to 1000.
   * @defaultValue 50
   */
  limit?: number;
  /**
   * The order. On large collections, see `getJobs` for the index a sort other than `created` needs.
   * @defaultValue `{ by: 'created', order: 'desc' }`: newest first
   */
  sort?: JobSort;
}

/** One page of jobs, newest first. */
export interface JobList<T = unknown> {
  jobs: Job<T>[];
  /** Pass it as `page.cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/** Jobs by status. `due`: `pending` jobs whose `nextRunAt` has passed. */
export interface StatusCounts {
  /** Jobs waiting for their dependencies. */
  waiting: number;
  pending: number;
  due: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/** Counts of one job name. */
export interface NameStats extends StatusCounts {
  /** `nextRunAt` of the longest-waiting due job; `null` when none is due. */
  oldestDueAt: Date | null;
}

/** What `getStats` returns. */
export interface QueueStats {
  total: StatusCounts;
  byName: Record<string, NameStats>;
}

/** What a bulk operation did. */
export interface BulkResult {
  /** How many jobs it changed (or, for running jobs being cancelled, asked to stop). */
  count: number;
}

/** Options of `cancelJob` / `cancelJobs`. */
export interface CancelOptions {
  /** Stored as `cancelReason` and given to the handler's `JobCancelledError`. */
  reason?: string;
}

/** What `getPaused` returns: the paused job names, or `'all'` when everything is paused. */
export type PausedState = string[] | 'all';

/** Completed and failed runs in one minute (for throughput charts). */
export interface ThroughputBucket {
  /** Start of the minute. */
  minute: Date;
  completed: number;
  failed: number;
}

/**
 * The operations API: inspecting and controlling jobs (`getJob`, `getJobs`, `cancelJob`, `pause` …).
 * Each method checks its input, makes one store call and emits its event.
 *
 * STUB: being implemented (issue 11). The signatures are the contract in `public-api.ts`.
 */
import type { Collection, Db } from 'mongodb';
import { MonqueError, MonqueErrorCode } from './errors/monque-error.js';
import type { MonqueEventEmitter } from './events.js';
import type { Job } from './job.js';
import type { Clock, Logger } from './monque-options.js';
import type { ResolvedRetention } from './options.js';
import type { JobId } from './public-api.js';
import type {
  BulkResult,
  CancelOptions,
  JobList,
  JobPage,
  JobQuery,
  PausedState,
  QueueStats,
  ThroughputBucket,
} from './queries.js';
import type { JobDocument } from './store/job-document.js';
import type { ObjectIds } from './store/object-ids.js';

/** What the operations need from the instance. */
export interface OperationsDeps {
  readonly db: Db;
  readonly collection: Collection<JobDocument>;
  readonly collectionName: string;
  readonly ids: ObjectIds;
  readonly clock: Clock;
  readonly events: MonqueEventEmitter;
  readonly logger: Logger;
  /** `false` when finished jobs are kept forever. */
  readonly retention: ResolvedRetention | false;
  /** Resolves once the indexes exist. */
  readonly ready: () => Promise<void>;
  /** This instance changed what is paused: its own poller re-reads the state now. */
  readonly onPauseChanged: () => void;
  /** Jobs of `name` (any when undefined) became pending, due at `at` (now when undefined). */
  readonly onJobsPending: (name: string | undefined, at: Date | undefined) => void;
}

function notYet(): never {
  throw new MonqueError(MonqueErrorCode.INVALID_ARGUMENT, 'not implemented yet');
}

/** Inspects and controls jobs. */
export class Operations {
  constructor(readonly deps: OperationsDeps) {}

  getJob<T>(_id: JobId): Promise<Job<T> | null> {
    return notYet();
  }
  getJobs<T>(_query?: JobQuery, _page?: JobPage): Promise<JobList<T>> {
    return notYet();
  }
  countJobs(_query?: JobQuery): Promise<number> {
    return notYet();
  }
  getStats(_query?: JobQuery): Promise<QueueStats> {
    return notYet();
  }
  getThroughput(_options?: { minutes?: number; name?: string }): Promise<ThroughputBucket[]> {
    return notYet();
  }
  cancelJob(_id: JobId, _options?: CancelOptions): Promise<Job | null> {
    return notYet();
  }
  retryJob(_id: JobId): Promise<Job | null> {
    return notYet();
  }
  rescheduleJob(_id: JobId, _runAt: Date): Promise<Job | null> {
    return notYet();
  }
  deleteJob(_id: JobId): Promise<boolean> {
    return notYet();
  }
  cancelJobs(_query: JobQuery, _options?: CancelOptions): Promise<BulkResult> {
    return notYet();
  }
  retryJobs(_query: JobQuery): Promise<BulkResult> {
    return notYet();
  }
  deleteJobs(_query: JobQuery): Promise<BulkResult> {
    return notYet();
  }
  pause(_name?: string): Promise<void> {
    return notYet();
  }
  resume(_name?: string): Promise<void> {
    return notYet();
  }
  getPaused(): Promise<PausedState> {
    return notYet();
  }
}

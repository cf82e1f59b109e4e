/** The JSON shapes of the dashboard API (ids as strings, times as ISO 8601 strings). */

export type JobStatus = 'waiting' | 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export const STATUSES: readonly JobStatus[] = ['waiting', 'pending', 'processing', 'completed', 'failed', 'cancelled'];

/** One failed attempt of a job (`job.errors`). */
export interface JobErrorJson {
  attempt: number;
  at: string;
  message: string;
  stack?: string;
  instanceId: string;
  durationMs: number;
}

export interface JobJson {
  _id: string;
  name: string;
  data: unknown;
  status: JobStatus;
  nextRunAt: string;
  priority?: number;
  lockedAt: string | null;
  failCount: number;
  attempts?: number;
  failReason?: string;
  errors?: JobErrorJson[];
  repeatInterval?: string;
  timezone?: string;
  uniqueKey?: string;
  /** The job's group (flow control), when it has one. */
  group?: string;
  maxRetries?: number;
  timeout?: number;
  progress?: number | Record<string, unknown>;
  result?: unknown;
  owner?: string;
  startedAt?: string;
  completedAt?: string;
  finishedAt?: string;
  cancelRequestedAt?: string;
  cancelReason?: string;
  /** The jobs it waits for (workflows). */
  dependsOn?: string[];
  /** How many jobs depend on it (one job only). */
  dependents?: number;
  onDependencyFailure?: 'cancel' | 'run';
  /** The root of the flow it belongs to. */
  flowId?: string;
  deadLetter?: string;
  deadLetterOf?: { jobId: string; name: string; failReason: string; failCount: number };
  createdAt: string;
  updatedAt: string;
}

/** `GET jobs/:id/workflow`: a job's dependencies and dependents, and its flow's progress. */
export interface WorkflowJson {
  dependencies: JobJson[];
  dependencyCount: number;
  dependents: JobJson[];
  dependentCount: number;
  flow: { rootId: string; total: number; completed: number; byStatus: Record<JobStatus, number> } | null;
}

export interface StatusCounts {
  waiting: number;
  pending: number;
  due: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface NameStats extends StatusCounts {
  oldestDueAt: string | null;
  paused: boolean;
}

export interface StatsJson {
  now: string;
  total: StatusCounts;
  byName: Record<string, NameStats>;
  paused: string[] | 'all';
}

export interface ThroughputBucket {
  minute: string;
  completed: number;
  failed: number;
}

export interface JobListJson {
  jobs: JobJson[];
  nextCursor: string | null;
}

export interface SchedulesJson {
  now: string;
  schedules: JobJson[];
  paused: string[] | 'all';
  /** The `after` of the next page, `null` on the last one. */
  nextCursor: string | null;
}

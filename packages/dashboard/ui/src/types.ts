/** The JSON shapes of the dashboard API (ids as strings, times as ISO 8601 strings). */

export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';

export const STATUSES: readonly JobStatus[] = ['pending', 'processing', 'completed', 'failed', 'cancelled'];

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
  createdAt: string;
  updatedAt: string;
}

export interface StatusCounts {
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
}

/**
 * A `processing` job built in memory (never stored), for tests of pure functions and error types.
 */
import { ObjectId } from 'mongodb';
import { type Job, JobStatus } from '../../src/index.js';

/** A processing job named `name`, every date set to `at`. */
export function processingJob(name: string, at: Date): Job {
  return {
    _id: new ObjectId(),
    name,
    data: null,
    status: JobStatus.PROCESSING,
    nextRunAt: at,
    lockedAt: at,
    failCount: 0,
    createdAt: at,
    updatedAt: at,
  };
}

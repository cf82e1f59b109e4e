/**
 * Access to the running job from anywhere in its DI context.
 */
import type { Job } from '@monque/core';
import { getContext } from '@tsed/di';
import { MONQUE_JOB_CONTEXT_KEY } from './constants.js';

/**
 * The job being handled in the current DI context (also reachable as
 * `context().get(MONQUE_JOB_CONTEXT_KEY)`), or `undefined` outside a job.
 */
export function currentJob<T = unknown>(): Job<T> | undefined {
  return getContext()?.get<Job<T> | undefined>(MONQUE_JOB_CONTEXT_KEY);
}

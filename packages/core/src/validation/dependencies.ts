/**
 * Checks of the workflow options of `enqueue`, `enqueueMany` items and `flow()` jobs:
 * `dependsOn`, `onDependencyFailure` and `deadLetter`. Whether each dependency exists is checked
 * against the database before anything is written (see `dependent-jobs.ts`).
 */
import type { ObjectId } from 'mongodb';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { DependencyFailurePolicy } from '../job.js';
import { type EnqueueOptions, MAX_DEPENDENCIES } from '../job-options.js';
import type { ObjectIds } from '../store/object-ids.js';
import { checkName, describeValue } from '../validation.js';

/** The workflow keys of a job's options. */
export const WORKFLOW_KEYS = ['dependsOn', 'onDependencyFailure', 'deadLetter'] as const;

/** `onDependencyFailure` and `deadLetter` (`dependsOn` is passed on as given: see {@link checkDependsOn}). */
export function checkWorkflowOptions(
  options: Record<string, unknown>,
  argument: string,
): Pick<EnqueueOptions, (typeof WORKFLOW_KEYS)[number]> {
  const result: Pick<EnqueueOptions, (typeof WORKFLOW_KEYS)[number]> = {};
  if (options.dependsOn !== undefined) result.dependsOn = options.dependsOn as EnqueueOptions['dependsOn'];
  const policy = options.onDependencyFailure;
  if (policy !== undefined) {
    if (policy !== 'cancel' && policy !== 'run') {
      throw new InvalidArgumentError(
        `${argument}.onDependencyFailure`,
        `expected 'cancel' or 'run', got ${describeValue(policy)}`,
      );
    }
    result.onDependencyFailure = policy as DependencyFailurePolicy;
  }
  if (options.deadLetter !== undefined) result.deadLetter = checkName(options.deadLetter, `${argument}.deadLetter`);
  return result;
}

/**
 * `dependsOn`: an array of at most {@link MAX_DEPENDENCIES} job ids (ObjectIds or their hex
 * strings), none repeated. @returns the ids, as ObjectIds of the `Db`'s driver
 */
export function checkDependsOn(value: unknown, argument: string, ids: ObjectIds): ObjectId[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(argument, `expected an array of job ids, got ${describeValue(value)}`);
  }
  if (value.length > MAX_DEPENDENCIES) {
    throw new InvalidArgumentError(argument, `at most ${MAX_DEPENDENCIES} dependencies, got ${value.length}`);
  }
  const seen = new Map<string, number>();
  return value.map((id, index) => {
    const parsed = ids.parse(id, `${argument}[${index}]`);
    const hex = parsed.toHexString();
    const first = seen.get(hex);
    if (first !== undefined) {
      throw new InvalidArgumentError(`${argument}[${index}]`, `job ${hex} is listed twice (also at [${first}])`);
    }
    seen.set(hex, index);
    return parsed;
  });
}

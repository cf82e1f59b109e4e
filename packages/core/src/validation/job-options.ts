/**
 * Checks of per-job and worker options: `enqueue`, `enqueueMany` items, `schedule`, `unschedule`
 * and `worker`. Each returns the options it accepted, typed; nothing is written on bad input.
 */
import type { ClientSession } from 'mongodb';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { BackoffOptions } from '../job.js';
import type { EnqueueOptions, RunPolicyOptions, ScheduleOptions, WorkerOptions } from '../job-options.js';
import {
  checkDate,
  checkName,
  checkNumberIn,
  checkOptionsObject,
  describeValue,
  isPlainObject,
} from '../validation.js';
import { checkDedupeOptions, DEDUPE_OPTION_KEYS } from './dedupe-options.js';
import { checkWorkflowOptions, WORKFLOW_KEYS } from './dependencies.js';

/** Longest timeout or backoff delay a timer can wait (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;
/** The priority range (a 32-bit integer). */
export const PRIORITY_RANGE = { min: -(2 ** 31), max: 2 ** 31 - 1 } as const;

/** Longest accepted `group`. */
export const MAX_GROUP_LENGTH = 200;

const POLICY_KEYS = ['maxRetries', 'backoff', 'timeout'] as const;

/** `group`: a non-empty, non-blank string of at most {@link MAX_GROUP_LENGTH} characters. */
export function checkGroup(value: unknown, argument: string): string {
  if (typeof value === 'string' && value.length > MAX_GROUP_LENGTH) {
    throw new InvalidArgumentError(argument, `must be at most ${MAX_GROUP_LENGTH} characters, got ${value.length}`);
  }
  return checkName(value, argument);
}

/** `backoff`: a known type, a delay, an optional cap and jitter in 0..1. */
export function checkBackoff(value: unknown, argument: string): BackoffOptions {
  if (!isPlainObject(value)) {
    throw new InvalidArgumentError(
      argument,
      `expected { type, delay, maxDelay?, jitter? }, got ${describeValue(value)}`,
    );
  }
  checkOptionsObject(value, argument, ['type', 'delay', 'maxDelay', 'jitter']);
  if (value.type !== 'exponential' && value.type !== 'fixed') {
    throw new InvalidArgumentError(
      `${argument}.type`,
      `expected 'exponential' or 'fixed', got ${describeValue(value.type)}`,
    );
  }
  const backoff: BackoffOptions = {
    type: value.type,
    delay: checkNumberIn(value.delay, `${argument}.delay`, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  };
  if (value.maxDelay !== undefined) {
    backoff.maxDelay = checkNumberIn(value.maxDelay, `${argument}.maxDelay`, { min: 0, max: Number.MAX_SAFE_INTEGER });
  }
  if (value.jitter !== undefined)
    backoff.jitter = checkNumberIn(value.jitter, `${argument}.jitter`, { min: 0, max: 1 });
  return backoff;
}

/** The retry/timeout options shared by jobs and workers; only those given are returned. */
function checkRunPolicy(options: Record<string, unknown>, argument: string): RunPolicyOptions {
  const policy: RunPolicyOptions = {};
  if (options.maxRetries !== undefined) {
    policy.maxRetries = checkNumberIn(options.maxRetries, `${argument}.maxRetries`, {
      min: 0,
      max: 1_000_000,
      integer: true,
    });
  }
  if (options.backoff !== undefined) policy.backoff = checkBackoff(options.backoff, `${argument}.backoff`);
  if (options.timeout !== undefined) {
    policy.timeout = checkNumberIn(options.timeout, `${argument}.timeout`, { min: 1, max: MAX_TIMER_MS });
  }
  return policy;
}

function checkPriority(value: unknown, argument: string): number | undefined {
  return value === undefined ? undefined : checkNumberIn(value, argument, { ...PRIORITY_RANGE, integer: true });
}

/** A driver `ClientSession` (of any copy of the driver), judged by shape. */
export function checkSession(value: unknown, argument: string): ClientSession {
  const session = value as Partial<ClientSession> | null;
  if (
    typeof session !== 'object' ||
    session === null ||
    typeof session.inTransaction !== 'function' ||
    typeof session.endSession !== 'function' ||
    !('id' in session)
  ) {
    throw new InvalidArgumentError(
      argument,
      `expected a ClientSession (client.startSession()), got ${describeValue(value)}`,
    );
  }
  if (session.hasEnded) throw new InvalidArgumentError(argument, 'the session has ended');
  return session as ClientSession;
}

/** `enqueue` options (and `enqueueMany` items' options, which take no session). */
export function checkEnqueueOptions(options: unknown, argument = 'options', allowSession = true): EnqueueOptions {
  const known = [
    'runAt',
    'uniqueKey',
    'priority',
    'group',
    ...DEDUPE_OPTION_KEYS,
    ...POLICY_KEYS,
    ...WORKFLOW_KEYS,
    ...(allowSession ? ['session'] : []),
  ];
  const checked = checkOptionsObject(options, argument, known);
  const result: EnqueueOptions = {
    ...checkRunPolicy(checked, argument),
    ...checkDedupeOptions(checked, argument),
    ...checkWorkflowOptions(checked, argument),
  };
  if (checked.runAt !== undefined) result.runAt = checkDate(checked.runAt, `${argument}.runAt`);
  if (checked.uniqueKey !== undefined) result.uniqueKey = checkName(checked.uniqueKey, `${argument}.uniqueKey`);
  if (checked.group !== undefined) result.group = checkGroup(checked.group, `${argument}.group`);
  const priority = checkPriority(checked.priority, `${argument}.priority`);
  if (priority !== undefined) result.priority = priority;
  if (checked.session !== undefined) result.session = checkSession(checked.session, `${argument}.session`);
  return result;
}

/** `schedule` options (the time zone is checked by the caller against the cron library). */
export function checkScheduleOptions(options: unknown, argument = 'options'): ScheduleOptions {
  const checked = checkOptionsObject(options, argument, ['uniqueKey', 'timezone', 'priority', 'group', ...POLICY_KEYS]);
  const result: ScheduleOptions = checkRunPolicy(checked, argument);
  if (checked.uniqueKey !== undefined) result.uniqueKey = checkName(checked.uniqueKey, `${argument}.uniqueKey`);
  if (checked.group !== undefined) result.group = checkGroup(checked.group, `${argument}.group`);
  if (checked.timezone !== undefined) result.timezone = checkName(checked.timezone, `${argument}.timezone`);
  const priority = checkPriority(checked.priority, `${argument}.priority`);
  if (priority !== undefined) result.priority = priority;
  return result;
}

/** `unschedule` options. */
export function checkUnscheduleOptions(options: unknown, argument = 'options'): Pick<ScheduleOptions, 'uniqueKey'> {
  const checked = checkOptionsObject(options, argument, ['uniqueKey']);
  return checked.uniqueKey === undefined ? {} : { uniqueKey: checkName(checked.uniqueKey, `${argument}.uniqueKey`) };
}

/** `worker` options. */
export function checkWorkerOptions(options: unknown, argument = 'options'): WorkerOptions {
  const checked = checkOptionsObject(options, argument, ['concurrency', 'deadLetter', ...POLICY_KEYS]);
  const result: WorkerOptions = checkRunPolicy(checked, argument);
  if (checked.deadLetter !== undefined) result.deadLetter = checkName(checked.deadLetter, `${argument}.deadLetter`);
  if (checked.concurrency !== undefined) {
    result.concurrency = checkNumberIn(checked.concurrency, `${argument}.concurrency`, {
      min: 1,
      max: 10_000,
      integer: true,
    });
  }
  return result;
}

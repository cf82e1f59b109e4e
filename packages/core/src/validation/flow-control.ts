/**
 * Checks of a worker's flow-control options (`globalConcurrency`, `groupConcurrency`, `rateLimit`).
 * Limits that contradict each other are refused rather than silently narrowed: a
 * `groupConcurrency` above `globalConcurrency` could never be reached.
 */
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { FlowControlOptions, RateLimitOptions } from '../flow-control-options.js';
import { checkNumberIn, checkOptionsObject, describeValue, isPlainObject } from '../validation.js';

/** The worker option keys checked here. */
export const FLOW_CONTROL_KEYS = ['globalConcurrency', 'groupConcurrency', 'rateLimit'] as const;

/** Most slots of a concurrency limit. */
export const MAX_FLOW_CONCURRENCY = 10_000;
/** Most starts of one rate window. */
export const MAX_RATE_LIMIT = 1_000_000;
/** Longest rate window (one year, in ms). */
export const MAX_RATE_DURATION = 365 * 24 * 60 * 60 * 1000;

function checkRateLimit(value: unknown, argument: string): RateLimitOptions {
  if (!isPlainObject(value)) {
    throw new InvalidArgumentError(argument, `expected { max, duration, perGroup? }, got ${describeValue(value)}`);
  }
  checkOptionsObject(value, argument, ['max', 'duration', 'perGroup']);
  if (value.max === undefined)
    throw new InvalidArgumentError(`${argument}.max`, 'is required (most starts per window)');
  if (value.duration === undefined) {
    throw new InvalidArgumentError(`${argument}.duration`, 'is required (the window in ms)');
  }
  const rate: RateLimitOptions = {
    max: checkNumberIn(value.max, `${argument}.max`, { min: 1, max: MAX_RATE_LIMIT, integer: true }),
    duration: checkNumberIn(value.duration, `${argument}.duration`, { min: 1, max: MAX_RATE_DURATION }),
  };
  if (value.perGroup !== undefined) {
    if (typeof value.perGroup !== 'boolean') {
      throw new InvalidArgumentError(
        `${argument}.perGroup`,
        `expected a boolean, got ${describeValue(value.perGroup)}`,
      );
    }
    rate.perGroup = value.perGroup;
  }
  return rate;
}

/**
 * The flow-control options among a worker's `options` (already checked to be an object with known
 * keys); only those given are returned.
 * @throws InvalidArgumentError naming the option at fault
 */
export function checkFlowControl(options: Record<string, unknown>, argument: string): FlowControlOptions {
  const flow: FlowControlOptions = {};
  const slots = { min: 1, max: MAX_FLOW_CONCURRENCY, integer: true };
  if (options.globalConcurrency !== undefined) {
    flow.globalConcurrency = checkNumberIn(options.globalConcurrency, `${argument}.globalConcurrency`, slots);
  }
  if (options.groupConcurrency !== undefined) {
    flow.groupConcurrency = checkNumberIn(options.groupConcurrency, `${argument}.groupConcurrency`, slots);
  }
  if (
    flow.groupConcurrency !== undefined &&
    flow.globalConcurrency !== undefined &&
    flow.groupConcurrency > flow.globalConcurrency
  ) {
    throw new InvalidArgumentError(
      `${argument}.groupConcurrency`,
      `must be at most globalConcurrency (${flow.globalConcurrency}), got ${flow.groupConcurrency}: a group could never run that many`,
    );
  }
  if (options.rateLimit !== undefined) flow.rateLimit = checkRateLimit(options.rateLimit, `${argument}.rateLimit`);
  return flow;
}

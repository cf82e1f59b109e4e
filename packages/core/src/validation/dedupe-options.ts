/**
 * Checks of the deduplication modes of `enqueue` (`onDuplicate`, `debounce` with `maxWait`,
 * `throttle`) and the mode they describe. Each mode needs `uniqueKey`; one mode per call; `maxWait`
 * only with `debounce` and never shorter than it; `runAt` not with `debounce` (the debounce decides
 * when the job is due). Nothing is written on bad input.
 */
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { EnqueueOptions } from '../job-options.js';
import { checkNumberIn, describeValue } from '../validation.js';

/** Longest `debounce`, `maxWait` or `throttle` accepted: ten years in ms. */
export const MAX_DEDUPE_WINDOW_MS = 10 * 365.25 * 24 * 60 * 60 * 1000;

/** The option names of the deduplication modes. */
export const DEDUPE_OPTION_KEYS = ['onDuplicate', 'debounce', 'maxWait', 'throttle'] as const;

/** What an enqueue with a unique key does when the key is taken (see `EnqueueOptions`). */
export type DedupeMode =
  | { readonly kind: 'keep' }
  | { readonly kind: 'replace' }
  | { readonly kind: 'debounce'; readonly ms: number; readonly maxWait?: number }
  | { readonly kind: 'throttle'; readonly ms: number };

type DedupeOptions = Pick<EnqueueOptions, (typeof DEDUPE_OPTION_KEYS)[number]>;

function checkWindow(value: unknown, argument: string): number {
  return checkNumberIn(value, argument, { min: 1, max: MAX_DEDUPE_WINDOW_MS, integer: true });
}

/**
 * The deduplication options of `options` (already known to hold only known keys), checked against
 * each other and against `uniqueKey` and `runAt`. Only those given are returned.
 * @throws InvalidArgumentError naming the option at fault
 */
export function checkDedupeOptions(options: Record<string, unknown>, argument: string): DedupeOptions {
  const result: DedupeOptions = {};
  const given = DEDUPE_OPTION_KEYS.filter((key) => options[key] !== undefined);
  if (given.length === 0) return result;
  if (options.onDuplicate !== undefined) {
    if (options.onDuplicate !== 'keep' && options.onDuplicate !== 'replace') {
      throw new InvalidArgumentError(
        `${argument}.onDuplicate`,
        `expected 'keep' or 'replace', got ${describeValue(options.onDuplicate)}`,
      );
    }
    result.onDuplicate = options.onDuplicate;
  }
  if (options.debounce !== undefined) result.debounce = checkWindow(options.debounce, `${argument}.debounce`);
  if (options.maxWait !== undefined) result.maxWait = checkWindow(options.maxWait, `${argument}.maxWait`);
  if (options.throttle !== undefined) result.throttle = checkWindow(options.throttle, `${argument}.throttle`);
  const modes = (['onDuplicate', 'debounce', 'throttle'] as const).filter((key) => result[key] !== undefined);
  if (modes.length > 1) {
    const [first, second] = modes as [string, string];
    throw new InvalidArgumentError(
      `${argument}.${second}`,
      `cannot be combined with ${first}: choose one of onDuplicate, debounce and throttle`,
    );
  }
  if (result.maxWait !== undefined) {
    if (result.debounce === undefined) {
      throw new InvalidArgumentError(`${argument}.maxWait`, 'only applies with debounce (set debounce too)');
    }
    if (result.maxWait < result.debounce) {
      throw new InvalidArgumentError(
        `${argument}.maxWait`,
        `must be at least debounce (${result.debounce} ms), got ${result.maxWait}`,
      );
    }
  }
  const mode = modes[0] ?? 'maxWait';
  if (options.uniqueKey === undefined) {
    throw new InvalidArgumentError(
      `${argument}.${mode}`,
      'needs uniqueKey: the key that tells which enqueues are duplicates of each other',
    );
  }
  if (result.debounce !== undefined && options.runAt !== undefined) {
    throw new InvalidArgumentError(
      `${argument}.runAt`,
      'cannot be combined with debounce: a debounced job is due debounce ms after the latest enqueue',
    );
  }
  return result;
}

/** The deduplication mode of checked enqueue options; `undefined` for none (a plain enqueue). */
export function dedupeModeOf(options: EnqueueOptions): DedupeMode | undefined {
  if (options.debounce !== undefined) {
    return options.maxWait === undefined
      ? { kind: 'debounce', ms: options.debounce }
      : { kind: 'debounce', ms: options.debounce, maxWait: options.maxWait };
  }
  if (options.throttle !== undefined) return { kind: 'throttle', ms: options.throttle };
  if (options.onDuplicate !== undefined) return { kind: options.onDuplicate };
  return undefined;
}

/**
 * Typed jobs: `new Monque<{ 'send-email': { to: string } }>(db)` checks job names and payloads at
 * compile time. Without a type argument every name and payload is accepted, as before.
 */
import type { Job } from './job.js';
import type { EnqueueManyItem } from './job-options.js';

/** Job names mapped to their payload types. The default accepts any name and payload. */
export type JobMap = Record<string, unknown>;

/** `true` when `J` does not restrict names (the default {@link JobMap}). */
export type IsUntypedJobMap<J> = string extends keyof J ? true : false;

/**
 * The default of a method's name parameter: `string` when untyped; `never` when typed, so a typed
 * instance infers the name from the call (an explicit payload type argument there is an error
 * rather than a way around the payload check).
 */
export type DefaultJobName<J> = IsUntypedJobMap<J> extends true ? string : never;

/** The job names of `J`: `string` when untyped. */
export type JobNameOf<J> = IsUntypedJobMap<J> extends true ? string : Extract<keyof J, string>;

/**
 * The payload type of job `N` in `J`; when `J` is untyped, `T` (inferred from the call, or given
 * explicitly as in `enqueue<{ to: string }>(…)`).
 */
export type JobDataOf<J, N extends string, T = unknown> =
  IsUntypedJobMap<J> extends true ? T : N extends keyof J ? J[N] : never;

/** Any job of `J`, discriminated by `name` when typed (so `if (job.name === 'x')` narrows `data`). */
export type AnyJobOf<J> =
  IsUntypedJobMap<J> extends true
    ? Job
    : { [N in Extract<keyof J, string>]: Job<J[N]> & { name: N } }[Extract<keyof J, string>];

/**
 * An `enqueueMany` item of `J`. Typed: a union discriminated by `name`, so each item's payload is
 * checked against its own name (not against every name of the batch). Untyped: any name, payload `T`.
 */
export type EnqueueManyItemOf<J, N extends string, T = unknown> =
  IsUntypedJobMap<J> extends true
    ? EnqueueManyItem<T, N>
    : { [K in N]: EnqueueManyItem<K extends keyof J ? J[K] : never, K> }[N];

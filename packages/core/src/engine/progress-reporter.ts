/**
 * A run's `progress()`: values are written one at a time, fenced on the run's claim; a value
 * reported while a write is in flight waits, and only the latest waiting value is written next.
 * Every caller's promise resolves once its value or a later one is stored (or given up).
 */
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { unstorableReason } from '../validation/data.js';
import { isPlainObject } from '../validation.js';

/** Largest progress object, as BSON. */
export const MAX_PROGRESS_BYTES = 64 * 1024;

/** A progress value. */
export type ProgressValue = number | Record<string, unknown>;

/** What the reporter needs. */
export interface ProgressReporterDeps {
  /** Stores `value`; resolves `false` when the run no longer holds the job. */
  readonly write: (value: ProgressValue) => Promise<boolean>;
  /** `value` is stored. */
  readonly onStored: (value: ProgressValue) => void;
  /** A write failed (the value is given up; a later one is tried). */
  readonly onError: (error: unknown) => void;
  /** Whether the run still accepts progress. */
  readonly active: () => boolean;
}

/** @throws InvalidArgumentError for anything but a finite number or a small storable plain object */
export function checkProgress(value: unknown): ProgressValue {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (isPlainObject(value)) {
    const problem = unstorableReason(value, 'progress', MAX_PROGRESS_BYTES);
    if (!problem) return value;
    throw new InvalidArgumentError('progress', problem);
  }
  throw new InvalidArgumentError('progress', 'expected a finite number or a plain object');
}

/** Coalesces one run's progress writes. */
export class ProgressReporter {
  private inFlight = false;
  private waiting: { value: ProgressValue; resolvers: (() => void)[] } | undefined;

  constructor(private readonly deps: ProgressReporterDeps) {}

  /** Reports `value` (checked first). */
  report(value: unknown): Promise<void> {
    let checked: ProgressValue;
    try {
      checked = checkProgress(value);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.deps.active()) return Promise.resolve();
    return new Promise((resolve) => {
      const resolvers = [...(this.waiting?.resolvers ?? []), resolve];
      this.waiting = { value: checked, resolvers };
      if (!this.inFlight) void this.pump();
    });
  }

  private async pump(): Promise<void> {
    this.inFlight = true;
    while (this.waiting) {
      const { value, resolvers } = this.waiting;
      this.waiting = undefined;
      try {
        if (this.deps.active() && (await this.deps.write(value))) this.deps.onStored(value);
      } catch (error) {
        this.deps.onError(error);
      }
      for (const resolve of resolvers) resolve();
    }
    this.inFlight = false;
  }
}

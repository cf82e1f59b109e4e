/**
 * Stale recovery on a test clock and the real stores, for the guard tests of `stale-recovery.ts`:
 * what it recovered, how often it woke the poller, what it reported and logged.
 */
import type { Db } from 'mongodb';
import { type DecisionSettings, policyFor } from '../../src/engine/outcome.js';
import { StaleRecovery, type StaleRecoveryDeps } from '../../src/engine/stale-recovery.js';
import { MonqueEventEmitter } from '../../src/events.js';
import type { Logger } from '../../src/monque-options.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { TestClock } from '../helpers/test-clock.js';
import { freshStores, type Stores } from '../store/stores.js';

export const T0 = new Date('2030-01-01T00:00:00Z');
export const LOCK_TIMEOUT = 10_000;
export const SKEW = 5_000;
/** A tolerance so large that only watching can find a lock stale (the first-sight rule applies at every look). */
export const WATCH_ONLY = 24 * 60 * 60 * 1000;
/**
 * Retry rules of the recoveries: 10 retries, no retention, every recovery charged as a failure
 * (`maxStalls` 0: stalls are tested in `faults/stalls.test.ts`).
 */
export const settings: DecisionSettings = {
  maxStalls: 0,
  maxRetries: 10,
  baseRetryInterval: 1_000,
  maxBackoffDelay: 60_000,
  retention: false,
};

/** One warning logged. */
export interface Logged {
  readonly message: string;
  readonly context: unknown;
}

/**
 * A recovery over `stores` on `clock` (owner `me`, interval 60 s); `here` lists the job ids this
 * instance runs; `deps` replaces any other dependency.
 */
export function recoveryOf(
  stores: Stores,
  clock: TestClock,
  options: { here?: Set<string>; skew?: number; deps?: Partial<StaleRecoveryDeps> } = {},
) {
  const events = new MonqueEventEmitter();
  const recovered: JobDocument[] = [];
  const reports: { job: JobDocument; willRetry: boolean }[] = [];
  const warnings: Logged[] = [];
  let wakes = 0;
  const cancelled: JobDocument[] = [];
  events.on('job:recovered', ({ job, willRetry }) => {
    recovered.push(job as JobDocument);
    reports.push({ job: job as JobDocument, willRetry });
  });
  events.on('job:cancelled', ({ job }) => {
    cancelled.push(job as JobDocument);
  });
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message: string, context?: unknown) => warnings.push({ message, context }),
    error() {},
  };
  const recovery = new StaleRecovery({
    clock,
    lockTimeout: LOCK_TIMEOUT,
    clockSkewTolerance: options.skew ?? SKEW,
    interval: 60_000,
    settings,
    events,
    logger,
    findProcessing: () => stores.locks.findProcessing(1000),
    owner: 'me',
    runsHere: (doc) => options.here?.has(doc._id.toHexString()) ?? false,
    policyOf: (job) => policyFor(job, undefined, settings),
    apply: (outcomes) => stores.outcomes.apply(outcomes),
    onRecovered: () => {
      wakes += 1;
    },
    ...options.deps,
  });
  return {
    recovery,
    events,
    warnings,
    /** The jobs of `job:recovered`, in order. */
    recovered,
    /** The `job:recovered` payloads, in order. */
    reports,
    /** The jobs of `job:cancelled` (recovered jobs whose cancellation was requested), in order. */
    cancelled,
    wakes: () => wakes,
  };
}

/** Fresh stores and a test clock at {@link T0}. */
export async function setup(db: Db) {
  const stores = await freshStores(db);
  const clock = new TestClock(T0);
  return { stores, clock };
}

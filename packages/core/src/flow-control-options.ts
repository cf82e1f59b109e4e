/**
 * Flow control of one job name, set on its worker (`monque.worker(name, handler, options)`): how
 * many of its jobs run at once on all instances together, per group, and how many start per
 * window. The limits are kept in the database, so every instance with this worker honours them;
 * give every instance the same ones (see the Flow control guide).
 */

/** At most `max` jobs start per `duration` ms (per group with `perGroup`), all instances together. */
export interface RateLimitOptions {
  /** Most starts per window: an integer from 1 to 1,000,000. */
  max: number;
  /** The window in ms: from 1 ms to one year. Over ANY window this long, at most `max` start. */
  duration: number;
  /**
   * Each group (`EnqueueOptions.group`) gets its own `max` per window; jobs without a group share
   * one more.
   * @defaultValue false (one window for the whole name)
   */
  perGroup?: boolean;
}

/** The flow-control options of a worker. */
export interface FlowControlOptions {
  /**
   * Most jobs of this name running at once on all instances together (an integer from 1 to
   * 10,000). Each instance still runs at most its own `concurrency`.
   * @defaultValue no limit
   */
  globalConcurrency?: number;
  /**
   * Most jobs of one group (`EnqueueOptions.group`) of this name running at once on all instances
   * together (an integer from 1 to 10,000, at most `globalConcurrency`). Jobs without a group are
   * not limited by it.
   * @defaultValue no limit
   */
  groupConcurrency?: number;
  /**
   * Most job starts per window, per name or per group.
   * @defaultValue no limit
   */
  rateLimit?: RateLimitOptions;
}

/**
 * Gives claimed jobs back unstarted: at `stop()`'s deadline (runs still going), for claims whose
 * reply never came (at stop), and for jobs claimed while stopping. Each job is `pending` again with
 * no failure charged, or `cancelled` when its cancellation was requested (reported as
 * `job:cancelled` by this instance, after it is stored).
 *
 * A give-back that fails is tried again, with growing delays, until it succeeds or its deadline
 * passes: otherwise the job would wait for its lock to expire and be charged a failed attempt it
 * never made. Trying again is safe: the write is fenced on this instance's claim, so a give-back
 * whose reply was lost changes nothing the second time.
 */
import type { ObjectId } from 'mongodb';
import { withTimeout } from '../database-errors.js';
import type { MonqueEventEmitter } from '../events.js';
import type { Clock } from '../monque-options.js';
import type { ClaimStore } from '../store/claim-store.js';
import { toPublicJob } from '../store/job-document.js';
import { StoppableRetry } from './stoppable-retry.js';

/** First delay before trying a failed give-back again; doubled each time up to {@link MAX_RETRY_DELAY_MS}. */
export const FIRST_RETRY_DELAY_MS = 50;

/** Longest delay between two tries of a give-back. */
export const MAX_RETRY_DELAY_MS = 500;

/** What giving back needs. */
export interface GiveBackDeps {
  readonly store: Pick<ClaimStore, 'release' | 'findClaimed' | 'findCancelledAtRelease'>;
  readonly owner: string;
  readonly clock: Clock;
  /** Longest wait for one round trip (`operationTimeout`). */
  readonly timeout: number;
  readonly events: MonqueEventEmitter;
}

/** Gives jobs back, trying again until a deadline, or until the engine has stopped. */
export class GiveBack {
  /** Tries stop at the engine's stop (no try starts after it; what was sent stays sent). */
  private readonly retries = new StoppableRetry();

  constructor(private readonly deps: GiveBackDeps) {}

  /** The engine starts (again): give-backs may be tried again. */
  start(): void {
    this.retries.start();
  }

  /**
   * The engine's last step of `stop()`: give-backs still trying (those begun outside the stop's own
   * deadline, e.g. a job claimed while stopping) give up now instead of writing after `stop()`
   * resolved; their jobs wait for stale recovery, as after a crash.
   */
  stop(): void {
    this.retries.stop();
  }

  /**
   * Gives back the jobs of claims `tokens` (only `ids` when given; otherwise every job they still
   * hold, looked up first so that cancellations can be reported).
   * @param until - epoch ms (`Date.now()`): no try starts after it, and none waits beyond it.
   * @throws the last error when no try succeeded by `until`
   */
  async release(tokens: readonly string[], ids: readonly ObjectId[] | undefined, until: number): Promise<void> {
    if (tokens.length === 0) return;
    const { store, owner, clock } = this.deps;
    const known = ids ?? (await this.retrying(until, () => store.findClaimed(owner, tokens))).map((doc) => doc._id);
    await this.retrying(until, () => store.release(owner, tokens, clock.now(), ids));
    if (known.length === 0) return;
    const cancelled = await this.retrying(until, () => store.findCancelledAtRelease(tokens, known)).catch(() => []);
    for (const doc of cancelled) this.deps.events.emit('job:cancelled', { job: toPublicJob(doc) });
  }

  /** Runs `attempt` until it succeeds; each try is bounded by `timeout` and by what is left until `until`. */
  private retrying<T>(until: number, attempt: () => Promise<T>): Promise<T> {
    const bounded = () =>
      withTimeout(attempt(), Math.max(1, Math.min(this.deps.timeout, until - Date.now())), 'giving jobs back');
    return this.retries.run(bounded, {
      until,
      now: Date.now,
      firstDelay: FIRST_RETRY_DELAY_MS,
      maxDelay: MAX_RETRY_DELAY_MS,
    });
  }
}

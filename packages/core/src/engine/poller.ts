/**
 * The claim loop of one instance.
 *
 * States: `idle` (created) → `running` (claim, start jobs, wait, repeat) → `stopping` (no new
 * claims; the loop leaves at its next step) → `stopped`.
 *
 * Each turn asks the registry how many jobs each worker can take, claims at most that many, and
 * hands them to the runner. Then it waits: not at all when the claim filled every free slot (more
 * work is likely), otherwise `pollInterval` — unless woken earlier by a local enqueue, a change
 * stream hint, a timer for a known due time, or (after a full claim) a freed slot.
 */
import type { ClaimRequest, JobDocument } from '../store/job-store.js';
import type { Clock } from '../types.js';

/** The states of the loop. */
export type PollerState = 'idle' | 'running' | 'stopping' | 'stopped';

/** What the loop needs. */
export interface PollerDeps {
  readonly clock: Clock;
  readonly pollInterval: number;
  readonly freeSlots: () => ClaimRequest[];
  readonly claim: (requests: ClaimRequest[], now: Date) => Promise<JobDocument[]>;
  readonly run: (job: JobDocument) => void;
  /** Called with `null` after a successful database round trip, or with the error of a failed one. */
  readonly onPollResult: (error: unknown) => void;
  /** Asks the database to answer when there is nothing to claim (keeps health honest). */
  readonly ping: () => Promise<void>;
}

/** Delay that lets freed slots pile up into one claim. */
const SLOT_COALESCE_MS = 2;

/** Claims due jobs in turns until stopped. */
export class Poller {
  state: PollerState = 'idle';
  private loopDone: Promise<void> = Promise.resolve();
  private wakeSleeper: (() => void) | undefined;
  private wakeRequested = false;
  private lastClaimWasFull = false;
  private timedWake: { at: number; timer: NodeJS.Timeout } | undefined;
  private slotTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: PollerDeps) {}

  /** Starts the loop. */
  start(): void {
    if (this.state !== 'idle' && this.state !== 'stopped') return;
    this.state = 'running';
    this.loopDone = this.loop();
  }

  /** Stops claiming; resolves when the loop has left (running jobs are not awaited here). */
  async stop(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    if (this.state === 'running') this.state = 'stopping';
    this.clearTimers();
    this.wake();
    await this.loopDone;
    this.state = 'stopped';
  }

  /** Polls now (or right after the claim in flight). */
  wake(): void {
    if (this.wakeSleeper) this.wakeSleeper();
    else this.wakeRequested = true;
  }

  /** Polls at `at` if that is sooner than the next regular poll. */
  wakeAt(at: Date): void {
    if (this.state !== 'running') return;
    const delay = at.getTime() - this.deps.clock.now().getTime();
    if (delay <= 0) {
      this.wake();
      return;
    }
    if (delay >= this.deps.pollInterval) return;
    if (this.timedWake && this.timedWake.at <= at.getTime()) return;
    if (this.timedWake) clearTimeout(this.timedWake.timer);
    const timer = setTimeout(() => {
      this.timedWake = undefined;
      this.wake();
    }, delay);
    this.timedWake = { at: at.getTime(), timer };
  }

  /** A handler returned: after a full claim, more work is likely waiting, so poll soon. */
  slotFreed(): void {
    if (!this.lastClaimWasFull || this.state !== 'running' || this.slotTimer) return;
    this.slotTimer = setTimeout(() => {
      this.slotTimer = undefined;
      this.wake();
    }, SLOT_COALESCE_MS);
  }

  private async loop(): Promise<void> {
    while (this.state === 'running') {
      this.wakeRequested = false;
      const requests = this.deps.freeSlots();
      if (requests.length === 0) {
        await this.idleCheck();
        continue;
      }
      let claimed: JobDocument[];
      try {
        claimed = await this.deps.claim(requests, this.deps.clock.now());
        this.deps.onPollResult(null);
      } catch (error) {
        this.deps.onPollResult(error);
        await this.sleep(this.deps.pollInterval);
        continue;
      }
      for (const job of claimed) this.deps.run(job);
      const wanted = requests.reduce((sum, request) => sum + request.limit, 0);
      this.lastClaimWasFull = claimed.length >= wanted;
      if (this.lastClaimWasFull || this.wakeRequested) continue;
      await this.sleep(this.deps.pollInterval);
    }
  }

  /** No free slot (or no worker): wait, and keep the health signal fresh with a ping. */
  private async idleCheck(): Promise<void> {
    await this.sleep(this.deps.pollInterval);
    if (this.state !== 'running' || this.deps.freeSlots().length > 0) return;
    try {
      await this.deps.ping();
      this.deps.onPollResult(null);
    } catch (error) {
      this.deps.onPollResult(error);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested || this.state !== 'running') {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private clearTimers(): void {
    if (this.timedWake) clearTimeout(this.timedWake.timer);
    if (this.slotTimer) clearTimeout(this.slotTimer);
    this.timedWake = undefined;
    this.slotTimer = undefined;
  }
}

/**
 * The claim loop of one instance.
 *
 * States: `idle` (created) → `running` (claim, hand jobs to the runner, wait, repeat) → `stopping`
 * (no new claims; the loop leaves at its next step, and jobs of a claim still in flight are given
 * back unstarted) → `stopped`.
 *
 * Each `start()` begins a new loop with a new number (its epoch); a loop acts only while its epoch
 * is the current one. When `stop()`'s caller stops waiting for a turn stuck on a slow reply, it
 * calls {@link Poller.detach}: that turn becomes stale and, when its reply comes, sends no claim,
 * starts nothing and writes nothing (jobs a claim took meanwhile keep their token, so the next
 * turn or the next stop finds them by it), and `start()` can begin a new loop at once.
 *
 * Each turn first looks up the jobs of any claim whose reply was lost, then asks the registry how
 * many jobs each worker can take and lets the {@link Claimer} take at most that many (when most
 * slots are still busy, it first waits `BATCH_WINDOW_MS` for more to free up, so claims stay big).
 * Then it
 * waits: not at all when every free slot found a job (more work is likely), otherwise
 * `pollInterval` — unless woken earlier by a local enqueue, a change-stream hint, a timer for a
 * known due time, or a freed slot of a worker whose last claim was full.
 */
import type { Clock } from '../monque-options.js';
import type { JobDocument } from '../store/job-document.js';
import type { Claimer, ClaimTurnGuard } from './claimer.js';
import type { ClaimRequest } from './worker-registry.js';

/** The states of the loop. */
export type PollerState = 'idle' | 'running' | 'stopping' | 'stopped';

/** What the loop needs. */
export interface PollerDeps {
  readonly clock: Clock;
  readonly pollInterval: number;
  readonly claimer: Claimer;
  readonly freeSlots: () => ClaimRequest[];
  /** Starts a claimed job. */
  readonly run: (job: JobDocument) => void;
  /** Whether this instance already runs `job` under its claim (a lost claim found twice). */
  readonly runsHere: (job: JobDocument) => boolean;
  /** Gives claimed jobs back unstarted. */
  readonly release: (jobs: JobDocument[]) => Promise<void>;
  /** Called with `null` after a successful database round trip, or with the error of a failed one. */
  readonly onPollResult: (error: unknown) => void;
  /** Asks the database to answer when there is nothing to claim (keeps health honest). */
  readonly ping: () => Promise<void>;
  /** Whether some slots are free but most are busy. */
  readonly mostlyBusy: () => boolean;
}

/** How long a claim waits for more slots to free up when most are busy. */
export const BATCH_WINDOW_MS = 20;

/** Delay that lets freed slots pile up into one claim. */
const SLOT_COALESCE_MS = 2;

/** Most due times remembered for timed wake-ups; later ones are left to the regular poll. */
const MAX_TIMED_WAKES = 1000;

/** Claims due jobs in turns until stopped. */
export class Poller {
  state: PollerState = 'idle';
  /** The current loop's number; a loop whose number is older is stale and must not act. */
  private epoch = 0;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeSleeper: (() => void) | undefined;
  /** Ends any sleep, wakeable or not (stop). */
  private stopSleeper: (() => void) | undefined;
  private wakeRequested = false;
  /** Job names whose last claim filled every slot asked for: more of their jobs are likely due. */
  private backlogged = new Set<string>();
  /** Job names held back by a concurrency limit in the last claim: a freed slot may let one start. */
  private waiting: ReadonlySet<string> = new Set<string>();
  private timedWake: NodeJS.Timeout | undefined;
  /** Known due times before the next regular poll, ascending; `timedWake` fires at the first one. */
  private wakeTimes: number[] = [];
  private slotTimer: NodeJS.Timeout | undefined;
  /** The current turn already waited for slots to free up. */
  private batched = false;

  constructor(private readonly deps: PollerDeps) {}

  /** Starts the loop. */
  start(): void {
    if (this.state === 'running' || this.state === 'stopping') return;
    this.state = 'running';
    this.epoch += 1;
    this.loopDone = this.loop(this.epoch);
  }

  /** Stops claiming; resolves when the loop has left (running jobs are not awaited here). */
  async stop(): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.clearTimers();
    this.wake();
    this.stopSleeper?.();
    const epoch = this.epoch;
    await this.loopDone;
    if (this.epoch === epoch) this.state = 'stopped';
  }

  /**
   * `stop()`'s caller gave up waiting for the turn in flight: that turn is stale from now on (it
   * claims, starts and writes nothing), and the loop counts as stopped, so `start()` may follow.
   */
  detach(): void {
    if (this.state !== 'stopping') return;
    this.epoch += 1;
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
    // Remember every due time, not just the soonest: a later one must not be lost when a sooner one fires.
    const time = at.getTime();
    const index = this.wakeTimes.findIndex((known) => known >= time);
    if (this.wakeTimes[index] === time) return;
    if (index === -1) this.wakeTimes.push(time);
    else this.wakeTimes.splice(index, 0, time);
    if (this.wakeTimes.length > MAX_TIMED_WAKES) this.wakeTimes.pop();
    if (this.wakeTimes[0] === time) this.armTimedWake();
  }

  /** Arms the timer for the soonest remembered due time (+1 ms: timers may fire a little early). */
  private armTimedWake(): void {
    if (this.timedWake) clearTimeout(this.timedWake);
    this.timedWake = undefined;
    const at = this.wakeTimes[0];
    if (at === undefined) return;
    this.timedWake = setTimeout(
      () => {
        this.timedWake = undefined;
        const now = this.deps.clock.now().getTime();
        this.wakeTimes.shift();
        while ((this.wakeTimes[0] ?? Number.POSITIVE_INFINITY) <= now) this.wakeTimes.shift();
        this.wake();
        this.armTimedWake();
      },
      Math.max(0, at - this.deps.clock.now().getTime()) + 1,
    );
  }

  /**
   * A handler of `name` returned: if that name's last claim was full (or held back by a
   * concurrency limit), more work is likely waiting, so poll soon.
   */
  slotFreed(name: string): void {
    if (!(this.backlogged.has(name) || this.waiting.has(name)) || this.state !== 'running' || this.slotTimer) return;
    this.slotTimer = setTimeout(() => {
      this.slotTimer = undefined;
      this.wake();
    }, SLOT_COALESCE_MS);
  }

  /**
   * A run of `name` ended in the database (its flow-control slots are free): if the last claim of
   * `name` was held back by a concurrency limit, poll soon.
   */
  limitFreed(name: string): void {
    if (this.waiting.has(name)) this.slotFreed(name);
  }

  /** Whether loop `epoch` may claim: it is the current loop and the poller runs. */
  private live(epoch: number): boolean {
    return this.state === 'running' && this.epoch === epoch;
  }

  private async loop(epoch: number): Promise<void> {
    while (this.live(epoch)) {
      if (!this.batched && this.deps.mostlyBusy()) {
        this.batched = true;
        await this.sleep(BATCH_WINDOW_MS, { wakeable: false });
        continue;
      }
      this.batched = false;
      this.wakeRequested = false;
      const turnStartedAt = this.deps.clock.now();
      let turn: { requests: ClaimRequest[]; full: ReadonlySet<string> };
      try {
        turn = await this.turn(epoch, turnStartedAt);
        if (this.epoch === epoch) this.deps.onPollResult(null);
      } catch (error) {
        if (this.epoch !== epoch) return;
        this.deps.onPollResult(error);
        await this.sleep(this.deps.pollInterval);
        continue;
      }
      const { requests, full } = turn;
      if (!this.live(epoch)) return;
      if (requests.length === 0) {
        await this.idleCheck(epoch);
        continue;
      }
      this.backlogged = new Set(full);
      if (requests.every((request) => full.has(request.name)) || this.wakeRequested) continue;
      await this.sleep(this.untilNextTurn(turnStartedAt));
    }
  }

  /** One turn: the jobs of lost claims first, then a claim for the slots still free. */
  private async turn(epoch: number, now: Date): Promise<{ requests: ClaimRequest[]; full: ReadonlySet<string> }> {
    const { claimer } = this.deps;
    const turn: ClaimTurnGuard = {
      mayClaim: () => this.live(epoch),
      current: () => this.epoch === epoch,
    };
    if (claimer.hasUnresolved) {
      this.hand((await claimer.resolveLost(turn, this.deps.clock)).filter((job) => !this.deps.runsHere(job)));
    }
    const requests = this.deps.freeSlots();
    if (requests.length === 0) return { requests, full: new Set() };
    const { jobs, full, waiting, wakeAt, error } = await claimer.claim(requests, now, this.backlogged, turn);
    this.hand(jobs);
    if (error !== undefined) throw error;
    this.waiting = waiting ?? new Set();
    for (const at of wakeAt ?? []) this.wakeAt(at);
    return { requests, full };
  }

  /**
   * Starts claimed jobs; once stopping, gives them back unstarted instead. (A stale turn gets no
   * jobs: the claimer keeps their token for the next turn or stop.)
   */
  private hand(jobs: JobDocument[]): void {
    if (jobs.length === 0) return;
    if (this.state === 'running') for (const job of jobs) this.deps.run(job);
    else void this.deps.release(jobs);
  }

  /**
   * Idle turns start every `pollInterval` (time spent claiming included), so a job made due by
   * another instance waits at most about one `pollInterval`, not `pollInterval` + a claim.
   */
  private untilNextTurn(turnStartedAt: Date): number {
    const elapsed = this.deps.clock.now().getTime() - turnStartedAt.getTime();
    return Math.min(this.deps.pollInterval, Math.max(0, this.deps.pollInterval - elapsed));
  }

  /** No free slot (or no worker): wait, and keep the health signal fresh with a ping. */
  private async idleCheck(epoch: number): Promise<void> {
    await this.sleep(this.deps.pollInterval);
    if (!this.live(epoch) || this.deps.freeSlots().length > 0) return;
    let error: unknown = null;
    try {
      await this.deps.ping();
    } catch (failed) {
      error = failed;
    }
    if (this.epoch === epoch) this.deps.onPollResult(error);
  }

  /**
   * Waits `ms`; a wake-up ends it early unless `wakeable` is false (stopping always does). Only the
   * current loop sleeps: a stale one leaves before (the sleeper is the current loop's).
   */
  private sleep(ms: number, { wakeable = true } = {}): Promise<void> {
    if (this.state !== 'running' || (wakeable && this.wakeRequested)) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        this.stopSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (wakeable) this.wakeSleeper = done;
      this.stopSleeper = done;
    });
  }

  private clearTimers(): void {
    if (this.timedWake) clearTimeout(this.timedWake);
    if (this.slotTimer) clearTimeout(this.slotTimer);
    this.timedWake = undefined;
    this.wakeTimes = [];
    this.slotTimer = undefined;
    this.backlogged.clear();
    this.waiting = new Set();
  }
}

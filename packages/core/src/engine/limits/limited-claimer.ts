/**
 * Claims of flow-controlled job names: names whose worker has `globalConcurrency`,
 * `groupConcurrency` or `rateLimit`, and names whose jobs have groups (claims rotate across them).
 * Other names never come here: their claims cost what they always did.
 *
 * One turn of one such name:
 * 1. reads, together: the due jobs lane by lane (see {@link GroupRotation}; the {@link Claimer}'s
 *    read already gave the jobs without a group), the running jobs that hold the name's
 *    slots, and the rate window of the name (of its groups, with `perGroup`, once they are known);
 * 2. plans which jobs to take with which slots ({@link planClaim});
 * 3. takes their starts in the rate windows (compare-and-set), then claims them, each with its own
 *    slot numbers (the unique slot indexes refuse a slot taken meanwhile), through the claimer's
 *    token bookkeeping, so a lost reply is found again by its token like any claim;
 * 4. gives back the starts of jobs it did not get. A rate-limited job must start by the end of the
 *    bucket its start was counted in: a claim answered later gives its jobs back unstarted.
 *
 * A name held back by a limit is not "full": the poller waits for a freed slot of that name
 * (`waiting`) or for the time its rate window has room again (`wakeAt`), never polls faster.
 */
import type { ObjectId } from 'mongodb';
import { withTimeout } from '../../database-errors.js';
import type { FlowControlOptions } from '../../flow-control-options.js';
import type { Clock } from '../../monque-options.js';
import type { ClaimStamp, ClaimStore } from '../../store/claim-store.js';
import type { JobDocument } from '../../store/job-document.js';
import type { LimitStore } from '../../store/limit-store.js';
import type { LimitedClaimStore, RunningJob } from '../../store/limited-claim-store.js';
import type { ClaimRequest } from '../worker-registry.js';
import { type ClaimPlan, type Lane, type PlannedJob, planClaim } from './claim-plan.js';
import { GroupProbe } from './group-probe.js';
import { GroupRotation } from './group-rotation.js';
import { RateGate, type RateView, type TakenStarts } from './rate-gate.js';

/** What flow-controlled claims need. */
export interface LimitedClaimerDeps {
  readonly store: LimitedClaimStore;
  readonly claims: ClaimStore;
  readonly limits: LimitStore;
  readonly owner: string;
  readonly clock: Clock;
  /** Longest wait for one round trip. */
  readonly timeout: number;
  /** How far (ms) instances' clocks may disagree (see `RateGate`). @defaultValue 0 */
  readonly clockSkewTolerance?: number;
  /** The flow-control options of `name`'s worker in this instance, if any. */
  readonly limitsOf: (name: string) => FlowControlOptions | undefined;
  /** A fresh claim stamp. */
  readonly stamp: (now: Date) => ClaimStamp;
  /** Sends a claim write through the claimer's token bookkeeping (`startBy`: its jobs' start deadline). */
  readonly send: <T>(stamp: ClaimStamp, work: Promise<T>, startBy?: number) => Promise<T>;
  /** The jobs of claim `stamp` are known (or given back): its token can be forgotten. */
  readonly known: (stamp: ClaimStamp) => void;
  /**
   * Runs of `name` in this instance whose slot is free in the database (their outcome is written:
   * a timeout, a cancellation) while their handler, ignoring its signal, still runs: counted as
   * running, so this instance starts nothing in their place. @defaultValue none
   */
  readonly abandoned?: (name: string) => readonly RunningJob[];
  /** A number in [0, 1). */
  readonly random: () => number;
  /** Resolves once the unique slot indexes exist (created once, before the first claim with slots). */
  readonly slotIndexes?: () => Promise<void>;
}

/** What one turn of flow-controlled names got. */
export interface LimitedTurn {
  readonly jobs: JobDocument[];
  /** Names whose every free slot got a job. */
  readonly full: Set<string>;
  /** Names held back by `globalConcurrency`/`groupConcurrency`: a freed slot of theirs is worth a turn. */
  readonly waiting: Set<string>;
  /** When rate windows of held-back names have room again. */
  readonly wakeAt: Date[];
  /** The claim of some name failed after others had claimed `jobs`: hand them on, then report this. */
  error?: unknown;
}

/** Most due jobs read per read of a name's groups. */
const MAX_WINDOW = 1000;

function hasLimits(limits: FlowControlOptions | undefined): limits is FlowControlOptions {
  return (
    limits !== undefined &&
    (limits.globalConcurrency !== undefined || limits.groupConcurrency !== undefined || limits.rateLimit !== undefined)
  );
}

/** Claims due jobs of flow-controlled names. */
export class LimitedClaimer {
  /** Names seen with grouped jobs: their claims rotate across groups. */
  private readonly grouped = new Set<string>();
  private readonly rotation = new GroupRotation();
  /** Looks for grouped jobs hidden behind a backlog of jobs without a group. */
  private readonly probe: GroupProbe;
  readonly rates: RateGate;

  constructor(private readonly deps: LimitedClaimerDeps) {
    this.rates = new RateGate(deps.limits, deps.timeout, deps.clockSkewTolerance);
    this.probe = new GroupProbe(
      async (name, now) =>
        (await this.bounded(deps.store.findDueInGroups(name, { after: null }, 1, now, []), 'probing for groups'))
          .length > 0,
    );
  }

  /** Whether claims of `name` go through here. */
  handles(name: string): boolean {
    return this.grouped.has(name) || hasLimits(this.deps.limitsOf(name));
  }

  /**
   * Whether `name`'s jobs are known to have groups: its claims read its jobs without a group apart
   * (the lane of its round before the first group), and its groups through the group index.
   */
  isGrouped(name: string): boolean {
    return this.grouped.has(name);
  }

  /**
   * Probes those of `backlogged` names not known to have groups for a due grouped job (see
   * {@link GroupProbe}: at most one read of one job per name per second); the names found are
   * known to have groups from then on, so their next turn reads their groups, and their round
   * starts with the groups (their jobs without a group have had every turn until then).
   */
  async probeGroups(backlogged: readonly string[], now: Date): Promise<void> {
    const names = backlogged.filter((name) => !this.grouped.has(name));
    if (names.length === 0) return;
    for (const name of await this.probe.probe(names, now)) {
      this.grouped.add(name);
      this.rotation.served(name, null);
    }
  }

  /** Learns from jobs claimed elsewhere which names have groups (and where their rotation stands). */
  noteClaimed(docs: readonly JobDocument[]): void {
    for (const doc of docs) {
      if (doc.group === undefined) continue;
      this.grouped.add(doc.name);
      this.rotation.served(doc.name, doc.group);
    }
  }

  /** One turn for `requests`, given the due jobs the shared read found (`found`, claim order). */
  async claim(
    requests: readonly ClaimRequest[],
    found: readonly JobDocument[],
    now: Date,
    exclude: readonly ObjectId[],
  ): Promise<LimitedTurn> {
    const turn: LimitedTurn = { jobs: [], full: new Set(), waiting: new Set(), wakeAt: [] };
    // Each name forgets its claim's token once its jobs are known: when another name's claim
    // fails, the jobs already claimed must still be handed on.
    const settled = await Promise.allSettled(
      requests.map((request) =>
        this.claimName(
          request,
          found.filter((doc) => doc.name === request.name),
          now,
          exclude,
        ).then((result) => ({ request, result })),
      ),
    );
    const results = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed && results.every(({ result }) => result.jobs.length === 0)) throw failed.reason;
    if (failed) turn.error = failed.reason;
    for (const { request, result } of results) {
      turn.jobs.push(...result.jobs);
      if (result.full || result.jobs.length >= request.limit) turn.full.add(request.name);
      if (result.waiting) turn.waiting.add(request.name);
      if (result.wakeAt !== undefined) turn.wakeAt.push(new Date(result.wakeAt));
    }
    return turn;
  }

  private bounded<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, this.deps.timeout, what);
  }

  private async claimName(
    { name, limit: want }: ClaimRequest,
    found: readonly JobDocument[],
    now: Date,
    exclude: readonly ObjectId[],
  ): Promise<{ jobs: JobDocument[]; full?: boolean; waiting?: boolean; wakeAt?: number }> {
    const limits = this.deps.limitsOf(name) ?? {};
    const rate = limits.rateLimit;
    const perGroup = rate?.perGroup === true;
    const at = now.getTime();
    const nameHeld = rate && !perGroup ? this.rates.heldUntil(name, null, at) : undefined;
    if (nameHeld !== undefined) return { jobs: [], wakeAt: nameHeld };
    const grouped =
      this.grouped.has(name) ||
      limits.groupConcurrency !== undefined ||
      perGroup ||
      found.some((d) => d.group !== undefined);
    const needsRunning = limits.globalConcurrency !== undefined || limits.groupConcurrency !== undefined;
    if (needsRunning) await this.bounded(this.deps.slotIndexes?.() ?? Promise.resolve(), 'creating the slot indexes');
    const runningRead: Promise<RunningJob[]> = needsRunning
      ? this.bounded(this.deps.store.findRunning(name), 'reading running jobs').then((running) => [
          ...running,
          ...(this.deps.abandoned?.(name) ?? []),
        ])
      : Promise.resolve([]);
    const [lanes, running, nameView] = await Promise.all([
      grouped ? this.readLanes(name, want, found, limits, now, exclude, runningRead) : [{ group: null, jobs: found }],
      runningRead,
      rate && !perGroup ? this.rates.read(name, rate, [null], at) : undefined,
    ]);
    if (lanes.some((lane) => lane.group !== null)) this.grouped.add(name);
    else if (grouped) this.grouped.delete(name);
    const view =
      perGroup && rate
        ? await this.rates.read(
            name,
            rate,
            lanes.map((lane) => lane.group),
            at,
          )
        : nameView;
    const plan = planClaim({
      want,
      lanes,
      limits,
      running,
      nameRoom: nameView ? nameView.room(null) : Number.POSITIVE_INFINITY,
      laneRoom: (group) => (perGroup && view ? view.room(group) : Number.POSITIVE_INFINITY),
      random: this.deps.random,
    });
    const held = {
      waiting: plan.heldBy.has('global') || plan.heldBy.has('group'),
      ...(plan.heldBy.has('rate') ? { wakeAt: this.soonest(view, lanes) } : {}),
    };
    if (plan.jobs.length === 0) {
      this.rotation.idle(name);
      return { jobs: [], ...held };
    }
    const taken = await this.take(name, plan, view, now);
    if (taken === undefined) return { jobs: [], full: true };
    this.rotation.served(name, plan.lastLane);
    return { jobs: taken, ...held };
  }

  private readLanes(
    name: string,
    want: number,
    found: readonly JobDocument[],
    limits: FlowControlOptions,
    now: Date,
    exclude: readonly ObjectId[],
    running: Promise<readonly RunningJob[]>,
  ): Promise<Lane[]> {
    const window = Math.min(MAX_WINDOW, Math.max(want * 2, 10));
    return this.rotation.lanes(
      name,
      found.filter((doc) => doc.group === undefined),
      window,
      (range, limit) =>
        this.bounded(this.deps.store.findDueInGroups(name, range, limit, now, exclude), 'reading due jobs by group'),
      async (lanes) => {
        const room = this.laneRoom(name, limits, await running, now.getTime());
        return lanes.reduce((sum, lane) => sum + Math.min(lane.jobs.length, room(lane.group)), 0) >= want;
      },
    );
  }

  /**
   * How many jobs of a lane could start now as far as this instance knows before reading the rate
   * windows: its group's `groupConcurrency` less the group's running jobs, none while the group's
   * rate window is known to be held. (Counting a group at its cap as room would end the reads at
   * it, and the groups after it would never be reached.)
   */
  private laneRoom(
    name: string,
    limits: FlowControlOptions,
    running: readonly RunningJob[],
    at: number,
  ): (group: string | null) => number {
    const cap = limits.groupConcurrency;
    const busy = new Map<string, number>();
    if (cap !== undefined)
      for (const job of running) if (job.group !== undefined) busy.set(job.group, (busy.get(job.group) ?? 0) + 1);
    const perGroup = limits.rateLimit?.perGroup === true;
    return (group) => {
      if (perGroup && this.rates.heldUntil(name, group, at) !== undefined) return 0;
      if (group === null || cap === undefined) return Number.POSITIVE_INFINITY;
      return Math.max(0, cap - (busy.get(group) ?? 0));
    };
  }

  /** The soonest time a held-back rate window of the name has room again. */
  private soonest(view: RateView | undefined, lanes: readonly Lane[]): number | undefined {
    const times = [null, ...lanes.map((lane) => lane.group)]
      .map((group) => view?.nextAt(group))
      .filter((time): time is number => time !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /**
   * Takes the planned jobs: their starts first (rate-limited names), then the claim.
   * @returns the jobs this instance now holds, or `undefined` when a rate window changed under it
   *   (another instance took starts first: the caller turns again at once)
   */
  private async take(
    name: string,
    plan: ClaimPlan,
    view: RateView | undefined,
    now: Date,
  ): Promise<JobDocument[] | undefined> {
    const rate = this.deps.limitsOf(name)?.rateLimit;
    const perGroup = rate?.perGroup === true;
    const scopeOf = (job: PlannedJob) => (perGroup ? job.group : null);
    const { claims, owner, clock } = this.deps;
    const stamp = this.deps.stamp(now);
    let jobs = plan.jobs;
    const counts = new Map<string | null, number>();
    let taken: TakenStarts | undefined;
    if (rate && view) {
      for (const job of jobs) counts.set(scopeOf(job), (counts.get(scopeOf(job)) ?? 0) + 1);
      taken = await this.rates.reserve(name, rate, view, counts, stamp.token, clock.now().getTime());
      const reserved = taken.groups;
      if (reserved.size === 0) return undefined;
      jobs = jobs.filter((job) => reserved.has(scopeOf(job)));
      for (const group of counts.keys()) if (!reserved.has(group)) counts.delete(group);
    }
    const claimed = await this.deps.send(stamp, this.deps.store.claim(jobs, stamp), taken?.startBy);
    let docs: JobDocument[];
    if (claimed === jobs.length) {
      docs = jobs.map((job) => ({
        ...claims.applyClaim(job.doc, stamp),
        ...(job.limitSlot === undefined ? {} : { limitSlot: job.limitSlot }),
        ...(job.groupSlot === undefined ? {} : { groupSlot: job.groupSlot }),
      }));
    } else if (claimed === 0) {
      docs = [];
    } else {
      docs = await this.bounded(claims.findClaimed(owner, [stamp.token]), 'reading claimed jobs');
    }
    if (!taken) {
      this.deps.known(stamp);
    } else {
      const at = clock.now();
      this.rates.settled(taken, at.getTime());
      // What is left in `counts` was taken in the windows but not claimed.
      for (const doc of docs) {
        const scope = perGroup ? (doc.group ?? null) : null;
        counts.set(scope, (counts.get(scope) ?? 0) - 1);
      }
      void this.rates.giveBack(name, taken, counts);
      if (docs.length > 0 && at.getTime() > taken.startBy) {
        // Answered too late to start within the bucket its starts were counted in: give them back.
        // (Should that fail, the token stays: the next turn gives them back by it.)
        await this.bounded(claims.release(owner, [stamp.token], at), 'giving jobs back');
        this.deps.known(stamp);
        return [];
      }
      this.deps.known(stamp);
    }
    this.noteClaimed(docs);
    return docs;
  }
}

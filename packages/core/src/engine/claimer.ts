/**
 * One claim turn: which due jobs this instance takes now, in as few commands as possible.
 *
 * - One free slot of one name (and the paused state fresh): one `findAndModify` (sorted, guarded).
 * - Otherwise, reads first: one `find` per name whose last claim was full (a backlog), and ONE
 *   `find` for all the other names together, so an idle instance spends one command per poll
 *   however many workers it has, and a quiet name never waits behind another name's backlog for
 *   more than one turn. Then each name takes up to its free slots, in claim order (priority, then
 *   due time), and one `findAndModify` (one job) or one `updateMany` (more) claims them, guarded
 *   again by status and due time. When the write took every job asked for, the jobs are known
 *   without reading them back; when other instances took some first, one `find` by the claim's
 *   token reads what this instance got, and the next reads look at a wider window (4× the free
 *   slots at once, up to 8×) from which each instance takes one whole share at random, so
 *   instances stop competing for the same jobs.
 * - Every claim carries a fresh token, known before it is sent and kept until the claim's jobs are
 *   known: when a claim's reply is lost (or late), or reading back its jobs fails, the next turn
 *   finds its jobs by that token, so they run (or are given back when stopping) instead of waiting
 *   for their locks to expire.
 * - Names under flow control (limits, or jobs with groups) take the same shared read, then go to
 *   the {@link LimitedClaimer}, in parallel with the others; it claims through the same token
 *   bookkeeping. A name whose jobs are known to have groups reads on its own only its jobs without
 *   a group (one lane of its round: the groups are read by the limited claimer, and an older
 *   grouped backlog would fill a read of all its due jobs). Grouped-ness is learnt from what the
 *   reads return, and, for a backlogged name whose reads are full of older jobs without a group,
 *   from a probe of at most one job per second alongside its claim, so a name without groups
 *   never pays a round trip for it.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectId } from 'mongodb';
import { withTimeout } from '../database-errors.js';
import type { Clock } from '../monque-options.js';
import type { ClaimStamp, ClaimStore } from '../store/claim-store.js';
import type { JobDocument } from '../store/job-document.js';
import type { LimitedClaimer, LimitedClaimerDeps } from './limits/limited-claimer.js';
import type { PauseGate } from './pause-gate.js';
import type { ClaimRequest } from './worker-registry.js';

/** What the claimer needs. */
export interface ClaimerDeps {
  readonly store: ClaimStore;
  readonly owner: string;
  readonly pauses: PauseGate;
  /** Jobs with a run in this instance (never claimed again meanwhile). */
  readonly busyIds: () => ObjectId[];
  /** Longest wait for one claim round trip. */
  readonly timeout: number;
  /** A claim whose reply was lost has now settled: its jobs can be looked up. */
  readonly onLateClaim: () => void;
  /** The retry limit stamped on claimed jobs of a name (see `ClaimStamp.retryLimitOf`). */
  readonly retryLimitOf?: (name: string) => number;
  /** The instance's `maxStalls`, stamped on claimed jobs (see `ClaimStamp.stallLimit`). */
  readonly stallLimit?: number;
  /** The worker's dead letter stamped on claimed jobs of a name (see `ClaimStamp.deadLetterOf`). */
  readonly deadLetterOf?: (name: string) => string | undefined;
  /** Gives back the jobs of claims `tokens`, trying until `until` (epoch ms): see `give-back.ts`. */
  readonly giveBack: (tokens: readonly string[], until: number) => Promise<unknown>;
  /** A number in [0, 1) (tests may fix it). */
  readonly random?: () => number;
  /** Builds the claimer of flow-controlled names, given this claimer's stamps and token bookkeeping. */
  readonly limited?: (bridge: Pick<LimitedClaimerDeps, 'send' | 'known' | 'stamp'>) => LimitedClaimer;
}

/**
 * Whether the turn that asks may still act: the poller's loop may stop (or be given up on by
 * `stop()`) while a claim waits for the database.
 */
export interface ClaimTurnGuard {
  /** The loop runs and this is its current turn: a claim may be sent. */
  mayClaim(): boolean;
  /**
   * `stop()` still waits for this turn: the jobs of a claim that settles now are handed on (and
   * given back). When `false`, their token is kept, so the next turn or stop finds them by it.
   */
  current(): boolean;
}

/** A turn that may always act (claims outside the poller's loop, tests). */
const ALWAYS: ClaimTurnGuard = { mayClaim: () => true, current: () => true };

/** What one turn got. */
export interface ClaimTurn {
  readonly jobs: JobDocument[];
  /** Names whose every free slot found a due job: more of theirs are likely due. */
  readonly full: ReadonlySet<string>;
  /** Names held back by a concurrency limit: a freed slot of theirs is worth a turn. */
  readonly waiting?: ReadonlySet<string>;
  /** When rate windows of held-back names have room again. */
  readonly wakeAt?: readonly Date[];
  /**
   * One part of the turn (the plain claim, or the flow-controlled one) failed after the other had
   * claimed `jobs`: hand them on, then report this.
   */
  readonly error?: unknown;
}

const MAX_SPREAD = 8;

/** Claims due jobs for one instance. */
export class Claimer {
  /** How much wider than the free slots the reads look (grows under contention). */
  private spread = 1;
  /** Claims whose outcome is unknown, and whether their command has settled since. */
  private readonly unresolved = new Map<string, { settled: boolean; late: boolean; startBy?: number }>();
  /** Claims of flow-controlled names. */
  readonly limited: LimitedClaimer | undefined;
  /** The probe for grouped jobs behind a backlog in flight (see `LimitedClaimer.probeGroups`). */
  private probing: Promise<void> | undefined;

  constructor(private readonly deps: ClaimerDeps) {
    this.limited = deps.limited?.({
      send: (stamp, work, startBy) => this.send(stamp, work, startBy),
      known: (stamp) => this.known(stamp),
      stamp: (now) => this.stamp(now),
    });
  }

  /**
   * Claims up to `requests` due jobs; `backlogged` names get their own read. Alongside, the
   * backlogged names not known to have groups are probed for grouped jobs hidden behind their older
   * jobs without a group (at most one small read per name per second, see `GroupProbe`): a name
   * found grouped reads its groups from the first turn after the probe answered.
   */
  async claim(
    requests: readonly ClaimRequest[],
    now: Date,
    backlogged: ReadonlySet<string>,
    turn: ClaimTurnGuard = ALWAYS,
  ): Promise<ClaimTurn> {
    const probed = requests.filter(({ name }) => backlogged.has(name)).map(({ name }) => name);
    if (this.limited && probed.length > 0 && !this.probing) {
      // Not awaited by the turn (a slow probe never holds back the jobs claimed), one at a time,
      // and awaited at stop (`releaseLost`). It never rejects: a failed probe finds nothing.
      const probing = this.limited.probeGroups(probed, now).finally(() => {
        if (this.probing === probing) this.probing = undefined;
      });
      this.probing = probing;
    }
    return this.claimTurn(requests, now, backlogged, turn);
  }

  private async claimTurn(
    requests: readonly ClaimRequest[],
    now: Date,
    backlogged: ReadonlySet<string>,
    turn: ClaimTurnGuard,
  ): Promise<ClaimTurn> {
    const { pauses, store } = this.deps;
    if (pauses.anyPaused) await pauses.refreshIfStale();
    const wanted = requests.filter((request) => !pauses.isPaused(request.name));
    const none: ClaimTurn = { jobs: [], full: new Set() };
    if (wanted.length === 0) return none;
    const exclude = this.deps.busyIds();
    const only = wanted[0] as ClaimRequest;
    const { limited } = this;
    // One free slot, and the paused state is fresh: claim in one round trip. (With a stale state,
    // the read below comes first, so an idle instance does not read the paused state every poll.)
    if (wanted.length === 1 && only.limit === 1 && !pauses.stale && !limited?.handles(only.name)) {
      if (!turn.mayClaim()) return none;
      const stamp = this.stamp(now);
      const doc = await this.send(stamp, store.claimNext(only.name, stamp, exclude));
      if (!turn.current()) return none;
      this.known(stamp);
      if (doc) limited?.noteClaimed([doc]);
      return doc ? { jobs: [doc], full: new Set([only.name]) } : none;
    }
    // Names known to have groups: their read finds the jobs without a group only; their groups'
    // jobs are read by the limited claimer, so they take a turn even when that read finds none.
    const knownGrouped = new Set(wanted.filter(({ name }) => limited?.isGrouped(name)).map(({ name }) => name));
    const found = await this.readCandidates(wanted, now, backlogged, exclude, knownGrouped);
    if (found.length === 0 && knownGrouped.size === 0) return none;
    await pauses.refreshIfStale();
    // Names under flow control, and names whose jobs turn out to have groups, go to the limited claimer.
    const grouped = new Set([
      ...knownGrouped,
      ...found.filter((doc) => doc.group !== undefined).map((doc) => doc.name),
    ]);
    const limitedNames = new Set(
      wanted
        .filter(({ name }) => limited && (limited.handles(name) || grouped.has(name)) && !pauses.isPaused(name))
        .map(({ name }) => name),
    );
    const { picked, full } = this.pick(
      found.filter((doc) => !limitedNames.has(doc.name)),
      wanted.filter(({ name }) => !limitedNames.has(name)),
    );
    const limitedFound = found.filter((doc) => limitedNames.has(doc.name));
    const limitedTurns = wanted.filter(
      ({ name }) => limitedNames.has(name) && (knownGrouped.has(name) || limitedFound.some((doc) => doc.name === name)),
    );
    const [plain, limitedPart] = await Promise.allSettled([
      picked.length > 0 ? this.take(picked, now, turn) : [],
      // (A limited claim cut off by stop() keeps its jobs: stop gives back what the claimer knows.)
      limited && limitedTurns.length > 0 && turn.mayClaim()
        ? limited.claim(limitedTurns, limitedFound, now, exclude)
        : undefined,
    ]);
    // Each part forgets its token once its jobs are known: when the other part fails, the jobs it
    // claimed must still be handed on (nothing else would find them before stale recovery).
    const jobs = plain.status === 'fulfilled' ? plain.value : [];
    const limitedTurn = limitedPart.status === 'fulfilled' ? limitedPart.value : undefined;
    const errors = [plain, limitedPart].flatMap((part) => (part.status === 'rejected' ? [part.reason as unknown] : []));
    if (limitedTurn?.error !== undefined) errors.push(limitedTurn.error);
    const failed = errors.length > 0 ? { error: errors[0] } : {};
    if (errors.length > 0 && jobs.length + (limitedTurn?.jobs.length ?? 0) === 0) throw errors[0];
    if (!limitedTurn) return { jobs, full, ...failed };
    return {
      ...limitedTurn,
      jobs: [...jobs, ...limitedTurn.jobs],
      full: new Set([...full, ...limitedTurn.full]),
      ...failed,
    };
  }

  private async readCandidates(
    wanted: readonly ClaimRequest[],
    now: Date,
    backlogged: ReadonlySet<string>,
    exclude: ObjectId[],
    grouped: ReadonlySet<string>,
  ): Promise<JobDocument[]> {
    const { store, timeout } = this.deps;
    const read = (requests: readonly ClaimRequest[], withoutGroup = false) => {
      const slots = requests.reduce((sum, request) => sum + request.limit, 0);
      const names = requests.map((request) => request.name);
      const due = store.findDue(names, slots * this.spread, now, exclude, withoutGroup);
      return withTimeout(due, timeout, 'reading due jobs');
    };
    const alone = (request: ClaimRequest) => backlogged.has(request.name) || grouped.has(request.name);
    const quiet = wanted.filter((request) => !alone(request));
    const loud = wanted.filter(alone);
    const [together = [], ...apart] = await Promise.all([
      quiet.length > 0 ? read(quiet) : [],
      ...loud.map((request) => read([request], grouped.has(request.name))),
    ]);
    // The shared read came back full: one name's backlog may have crowded out the others. Those
    // that found fewer jobs than slots read again on their own, so they get their share this turn.
    const slots = quiet.reduce((sum, request) => sum + request.limit, 0);
    if (quiet.length < 2 || together.length < slots * this.spread) return [...together, ...apart.flat()];
    const found = new Map<string, number>();
    for (const doc of together) found.set(doc.name, (found.get(doc.name) ?? 0) + 1);
    const crowdedOut = quiet.filter((request) => (found.get(request.name) ?? 0) < request.limit);
    const seen = new Set(together.map((doc) => doc._id.toHexString()));
    const again = (await Promise.all(crowdedOut.map((request) => read([request])))).flat();
    return [...together, ...again.filter((doc) => !seen.has(doc._id.toHexString())), ...apart.flat()];
  }

  /**
   * Up to each name's free slots, in claim order. When instances compete (spread > 1), each name's
   * share is a run of consecutive candidates starting at a random place in the wider window, so two
   * instances rarely pick the same jobs (claim order then holds within each instance's share).
   */
  private pick(found: JobDocument[], wanted: readonly ClaimRequest[]) {
    const byName = new Map<string, JobDocument[]>();
    for (const doc of found) byName.set(doc.name, [...(byName.get(doc.name) ?? []), doc]);
    const random = this.deps.random ?? Math.random;
    const picked: JobDocument[] = [];
    const full = new Set<string>();
    for (const { name, limit } of wanted) {
      const candidates = byName.get(name) ?? [];
      if (candidates.length >= limit) full.add(name);
      if (this.deps.pauses.isPaused(name)) continue;
      const spare = candidates.length - limit;
      // Shares start at whole multiples of the free slots: two instances either take the same share
      // (one gets it all, the other nothing: no read-back) or disjoint ones.
      const shares = Math.ceil(candidates.length / limit);
      const offset = this.spread > 1 && spare > 0 ? Math.floor(random() * shares) * limit : 0;
      picked.push(...candidates.slice(offset, offset + limit));
    }
    return { picked, full };
  }

  /** Claims `picked`: by id when one, else one guarded `updateMany` (and a read-back when contended). */
  private async take(picked: JobDocument[], now: Date, turn: ClaimTurnGuard): Promise<JobDocument[]> {
    const { store, owner } = this.deps;
    if (!turn.mayClaim()) return [];
    const stamp = this.stamp(now);
    if (picked.length === 1) {
      const doc = await this.send(stamp, store.claimById(picked[0] as JobDocument, stamp));
      if (!turn.current()) return [];
      this.known(stamp);
      return doc ? [doc] : [];
    }
    const taken = await this.send(stamp, store.claimIds(picked, stamp));
    if (!turn.current()) return [];
    let jobs: JobDocument[] = [];
    if (taken === picked.length) {
      this.spread = Math.max(1, this.spread / 2);
      jobs = picked.map((doc) => store.applyClaim(doc, stamp));
    } else {
      // Another instance took these first: look at a wider window (at once four shares, so the
      // instances that lost together rarely meet again in their next claim).
      this.spread = Math.min(MAX_SPREAD, Math.max(4, this.spread * 2));
      // Other instances took some: read back which this claim got. Should that read fail, the
      // token stays unresolved, and the next turn (or stop) finds these jobs by it.
      if (taken > 0) {
        jobs = await withTimeout(store.findClaimed(owner, [stamp.token]), this.deps.timeout, 'reading claimed jobs');
        if (!turn.current()) return [];
      }
    }
    this.known(stamp);
    return jobs;
  }

  private stamp(now: Date): ClaimStamp {
    const { owner, retryLimitOf, deadLetterOf, stallLimit } = this.deps;
    return { owner, token: randomUUID(), now, retryLimitOf, deadLetterOf, stallLimit };
  }

  /**
   * Waits for one claim write. Its token is remembered until {@link Claimer.known} says which jobs
   * it took: when the reply is lost or late, or reading back its jobs fails, the token stays, and
   * its jobs are looked up by the next turn (or given back at stop).
   */
  private async send<T>(stamp: ClaimStamp, work: Promise<T>, startBy?: number): Promise<T> {
    const entry = { settled: false, late: false, ...(startBy === undefined ? {} : { startBy }) };
    this.unresolved.set(stamp.token, entry);
    work.then(
      () => {
        entry.settled = true;
        if (entry.late) this.deps.onLateClaim();
      },
      () => {
        entry.settled = true;
      },
    );
    try {
      return await withTimeout(work, this.deps.timeout, 'claiming jobs');
    } catch (error) {
      entry.late = true;
      throw error;
    }
  }

  /** The jobs of claim `stamp` are known (and handed on): its token can be forgotten. */
  private known(stamp: ClaimStamp): void {
    this.unresolved.delete(stamp.token);
  }

  /** Whether some claim's outcome is still unknown. */
  get hasUnresolved(): boolean {
    return this.unresolved.size > 0;
  }

  /**
   * The jobs of claims whose reply was lost or late (one `find` by their tokens). A token is
   * forgotten once its command has settled and been looked up (by a turn still current). Jobs that
   * had to start by a time past when the look-up answered (rate-limited claims, `clock` given) are
   * given back unstarted instead (one more write).
   */
  async resolveLost(turn: ClaimTurnGuard = ALWAYS, clock?: Clock): Promise<JobDocument[]> {
    const tokens = [...this.unresolved.keys()];
    const settled = tokens.filter((token) => this.unresolved.get(token)?.settled);
    const docs = await withTimeout(
      this.deps.store.findClaimed(this.deps.owner, tokens),
      this.deps.timeout,
      'finding the jobs of a lost claim',
    );
    if (!turn.current()) return [];
    // The time the look-up answered, not the time the turn began: a slow look-up must not start
    // jobs whose starts were counted in a bucket that no longer counts.
    const now = clock?.now();
    const late = now
      ? tokens.filter((token) => (this.unresolved.get(token)?.startBy ?? Number.POSITIVE_INFINITY) < now.getTime())
      : [];
    if (now && docs.some((doc) => late.includes(doc.claimToken as string))) {
      await withTimeout(this.deps.store.release(this.deps.owner, late, now), this.deps.timeout, 'giving jobs back');
    }
    for (const token of settled) this.unresolved.delete(token);
    return docs.filter((doc) => !late.includes(doc.claimToken as string));
  }

  /** Gives back every job of claims whose outcome is unknown (at stop), trying until `until` (epoch ms). */
  async releaseLost(until: number): Promise<void> {
    await this.probing;
    const tokens = [...this.unresolved.keys()];
    if (tokens.length === 0) return;
    await this.deps.giveBack(tokens, until);
    for (const [token, entry] of this.unresolved) if (entry.settled) this.unresolved.delete(token);
  }
}

/**
 * The rate windows of flow-controlled names as this instance uses them: reading a name's (or its
 * groups') rate records, the room each leaves, taking starts before a claim and giving back those
 * a claim did not use.
 *
 * A window seen full, or blocked by a `RateLimitError`, is remembered here until it has room
 * again: until then the name (group) asks the database nothing and the poller is woken at that
 * time, so a held-back job waits for a computed due time, never a busy poll. (Only a give-back can
 * make room earlier; that costs at most this instance's share until the remembered time.)
 */
import { withTimeout } from '../../database-errors.js';
import type { RateLimitOptions } from '../../flow-control-options.js';
import {
  bucketKey,
  nextRoomAt,
  reservationEnd,
  roomAt,
  startAllowance,
  windowExpiry,
  withStarts,
} from '../../limits/rate-window.js';
import { type LimitStore, type RateRecord, type Reservation, rateIdOf } from '../../store/limit-store.js';

/** The rate windows of one name (or of some of its groups) at one moment. */
export interface RateView {
  /** Starts `group` (`null`: the name, or its jobs without a group) may make now. */
  room(group: string | null): number;
  /** When `group` has room again, if it has none now. */
  nextAt(group: string | null): number | undefined;
  readonly records: ReadonlyMap<string | null, RateRecord | undefined>;
}

/** Starts taken in rate windows, and by when their jobs must start. */
export interface TakenStarts {
  /** The groups whose starts were taken (the others lost a race: read again). */
  readonly groups: Set<string | null>;
  /** The bucket they were counted in ends here (ms): the jobs must start by then. */
  readonly startBy: number;
  /** When they were taken (ms). */
  readonly at: number;
}

/** How many recent reservations the start allowance is learnt from. */
const RECENT = 8;

/** Reads and takes starts of rate windows. */
export class RateGate {
  /** Rate record id → until when it is known to have no room (ms). */
  private readonly held = new Map<string, number>();
  /** How long recent reservations took until their jobs were held (ms). */
  private readonly recent: number[] = [];

  /**
   * @param skew - how far (ms) instances' clocks may disagree (`clockSkewTolerance`): starts are
   *   kept in a record that long after they stop counting on this instance's clock
   */
  constructor(
    private readonly store: LimitStore,
    private readonly timeout: number,
    private readonly skew = 0,
  ) {}

  /** Until when `name` (`group`) is known to start nothing, if that is after `now`. */
  heldUntil(name: string, group: string | null, now: number): number | undefined {
    const until = this.held.get(rateIdOf(name, group));
    if (until === undefined || until <= now) {
      this.held.delete(rateIdOf(name, group));
      return undefined;
    }
    return until;
  }

  /** `name` (`group`) starts nothing here before `until` (ms): a `RateLimitError` seen here. */
  hold(name: string, group: string | null, until: number): void {
    const id = rateIdOf(name, group);
    this.held.set(id, Math.max(until, this.held.get(id) ?? 0));
  }

  /** The windows of `groups` of `name` at `now`: one `find` for those not known to be held. */
  async read(name: string, rate: RateLimitOptions, groups: readonly (string | null)[], now: number): Promise<RateView> {
    const ask = [...new Set(groups)].filter((group) => this.heldUntil(name, group, now) === undefined);
    const found = await withTimeout(
      this.store.readRates(ask.map((group) => rateIdOf(name, group))),
      this.timeout,
      'reading rate limits',
    );
    const records = new Map<string | null, RateRecord | undefined>();
    for (const group of ask)
      records.set(
        group,
        found.find((doc) => doc._id === rateIdOf(name, group)),
      );
    const room = new Map<string | null, number>();
    const nextAt = new Map<string | null, number>();
    for (const group of groups) {
      const held = this.heldUntil(name, group, now);
      const record = records.get(group);
      const blocked = record?.blockedUntil && record.blockedUntil.getTime() > now ? record.blockedUntil.getTime() : 0;
      const free = held !== undefined || blocked > 0 ? 0 : roomAt(record?.starts ?? {}, now, rate);
      room.set(group, free);
      if (free > 0) continue;
      const at = held ?? (blocked || nextRoomAt(record?.starts ?? {}, now, rate));
      if (at === undefined) continue;
      nextAt.set(group, at);
      this.hold(name, group, at);
    }
    return {
      room: (group) => room.get(group) ?? 0,
      nextAt: (group) => nextAt.get(group),
      records,
    };
  }

  /**
   * Takes `counts` starts (per group) in the windows of `view`, at `now` (the time the write is
   * sent): one compare-and-set per record, sent together.
   */
  async reserve(
    name: string,
    rate: RateLimitOptions,
    view: RateView,
    counts: ReadonlyMap<string | null, number>,
    token: string,
    now: number,
  ): Promise<TakenStarts> {
    const groups = [...counts.keys()];
    const startBy = reservationEnd(now, rate.duration, startAllowance(rate.duration, this.recent));
    const reservations = groups.map((group): Reservation => {
      const record = view.records.get(group);
      const taken = counts.get(group) as number;
      const starts = withStarts(record?.starts ?? {}, now, rate.duration, taken, startBy, this.skew);
      const expireAt = Math.max(windowExpiry(starts, rate.duration), record?.blockedUntil?.getTime() ?? 0);
      return { name, group, version: record?.version ?? 0, starts, expireAt: new Date(expireAt) };
    });
    const reserved = await withTimeout(
      this.store.reserve(reservations, token, new Date(now)),
      this.timeout,
      'taking rate-limited starts',
    );
    return { groups: new Set(groups.filter((group) => reserved.has(rateIdOf(name, group)))), startBy, at: now };
  }

  /** The jobs of `taken` are held (or not) at `now`: how long that took teaches the allowance. */
  settled(taken: TakenStarts, now: number): void {
    this.recent.push(now - taken.at);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  /** Gives back starts of `taken` that were not used (`unused` per group); failures only waste them. */
  async giveBack(name: string, taken: TakenStarts, unused: ReadonlyMap<string | null, number>) {
    const key = bucketKey(taken.startBy);
    await Promise.all(
      [...unused]
        .filter(([, count]) => count > 0)
        .map(([group, count]) =>
          withTimeout(
            this.store.giveBack(name, group, key, count),
            this.timeout,
            'giving back rate-limited starts',
          ).catch(() => undefined),
        ),
    );
  }
}

/**
 * The claim loop's timing, on fake timers with a scripted claimer (what the database decides is
 * tested elsewhere; here only when the loop claims, waits and wakes): an idle instance claims once
 * per `pollInterval` counted from the start of the last turn; a turn whose every slot found a job
 * claims again at once; a known due time within the interval wakes it exactly then (several are
 * kept, the same one is armed once, one at or after the next poll is left to it); a freed slot of a
 * backlogged name wakes it after 2 ms; mostly busy, it waits 20 ms for slots first; failures and
 * idle pings report the database's health; once stopping, claimed jobs are given back.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Claimer, ClaimTurn } from '../../src/engine/claimer.js';
import { BATCH_WINDOW_MS, Poller } from '../../src/engine/poller.js';
import type { ClaimRequest } from '../../src/engine/worker-registry.js';
import type { JobDocument } from '../../src/store/job-document.js';

const POLL = 1_000;
const ONE_SLOT: ClaimRequest[] = [{ name: 'a', limit: 1 }];

afterEach(() => {
  vi.useRealTimers();
});

interface Script {
  /** What each claim returns (by turn number, from 0); default: nothing, not full. */
  claim?: (turn: number, requests: readonly ClaimRequest[]) => Promise<ClaimTurn> | ClaimTurn;
  freeSlots?: () => ClaimRequest[];
  mostlyBusy?: () => boolean;
  ping?: () => Promise<void>;
  lost?: { jobs: JobDocument[]; runsHere: (job: JobDocument) => boolean };
}

const job = (name: string): JobDocument => ({ name, _id: { toHexString: () => name } }) as unknown as JobDocument;

/** A poller on fake timers started at time 0; `turns` are the times its claims were made. */
function poller(script: Script = {}) {
  vi.useFakeTimers({ now: 0 });
  const turns: number[] = [];
  const ran: string[] = [];
  const released: string[] = [];
  const results: unknown[] = [];
  let pings = 0;
  let unresolved = script.lost !== undefined;
  const claimer = {
    get hasUnresolved() {
      return unresolved;
    },
    resolveLost: async () => {
      unresolved = false;
      return script.lost?.jobs ?? [];
    },
    claim: async (requests: readonly ClaimRequest[]) => {
      turns.push(Date.now());
      return (await script.claim?.(turns.length - 1, requests)) ?? { jobs: [], full: new Set<string>() };
    },
  } as unknown as Claimer;
  const loop = new Poller({
    clock: { now: () => new Date() },
    pollInterval: POLL,
    claimer,
    freeSlots: script.freeSlots ?? (() => ONE_SLOT),
    run: (claimed) => ran.push(claimed.name),
    runsHere: script.lost?.runsHere ?? (() => false),
    release: async (jobs) => {
      released.push(...jobs.map((claimed) => claimed.name));
    },
    onPollResult: (error) => results.push(error),
    ping: async () => {
      pings += 1;
      await script.ping?.();
    },
    mostlyBusy: script.mostlyBusy ?? (() => false),
  });
  return { loop, turns, ran, released, results, pings: () => pings };
}

const full = (...names: string[]): ClaimTurn => ({ jobs: names.map(job), full: new Set(names) });
const at = (ms: number) => new Date(ms);

describe('poller: when it claims', () => {
  it('idle: once per pollInterval; start() twice is one loop; nothing after stop()', async () => {
    const { loop, turns, results } = poller();
    loop.start();
    loop.start();
    await vi.advanceTimersByTimeAsync(3 * POLL + 500);
    expect(turns).toEqual([0, 1000, 2000, 3000]);
    expect(results).toEqual([null, null, null, null]);
    await loop.stop();
    expect(loop.state).toBe('stopped');
    await vi.advanceTimersByTimeAsync(3 * POLL);
    expect(turns).toHaveLength(4);
  });

  it('the interval counts from the start of the last turn: a slow claim does not push the next one back', async () => {
    const { loop, turns } = poller({
      claim: (turn) => (turn === 0 ? new Promise((resolve) => setTimeout(() => resolve(full()), 300)) : full()),
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(POLL + 100);
    expect(turns).toEqual([0, 1000]);
    await loop.stop();
  });

  it('a turn whose every slot found a job claims again at once; one that did not waits', async () => {
    const { loop, turns, ran } = poller({
      freeSlots: () => [
        { name: 'a', limit: 1 },
        { name: 'b', limit: 1 },
      ],
      claim: (turn) => (turn < 2 ? full('a', 'b') : turn === 2 ? full('a') : full()),
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(POLL + 100);
    expect(turns).toEqual([0, 0, 0, 1000]);
    expect(ran).toEqual(['a', 'b', 'a', 'b', 'a']);
    await loop.stop();
  });

  it('mostly busy: waits 20 ms for more slots before claiming, and a wake-up does not cut that short', async () => {
    let busy = true;
    const { loop, turns } = poller({ mostlyBusy: () => busy });
    loop.start();
    await vi.advanceTimersByTimeAsync(5);
    loop.wake();
    await vi.advanceTimersByTimeAsync(BATCH_WINDOW_MS - 6);
    expect(turns).toEqual([]);
    busy = false;
    await vi.advanceTimersByTimeAsync(1);
    expect(turns).toEqual([BATCH_WINDOW_MS]);
    await loop.stop();
  });
});

describe('poller: what wakes it early', () => {
  it('a due time within the interval: a turn just after it (+1 ms), then the regular interval from there', async () => {
    const { loop, turns } = poller();
    loop.start();
    await vi.advanceTimersByTimeAsync(10);
    loop.wakeAt(at(300));
    await vi.advanceTimersByTimeAsync(POLL + 400);
    expect(turns).toEqual([0, 301, 1301]);
    await loop.stop();
  });

  it('several due times are each kept; the same one twice is one wake-up', async () => {
    const { loop, turns } = poller();
    loop.start();
    await vi.advanceTimersByTimeAsync(10);
    loop.wakeAt(at(600));
    loop.wakeAt(at(300));
    loop.wakeAt(at(600));
    loop.wakeAt(at(450));
    await vi.advanceTimersByTimeAsync(POLL);
    expect(turns).toEqual([0, 301, 451, 601]);
    await loop.stop();
  });

  it('due times already past when a wake-up fires are dropped with it, not woken for again', async () => {
    const { loop, turns } = poller();
    loop.start();
    await vi.advanceTimersByTimeAsync(10);
    loop.wakeAt(at(300));
    loop.wakeAt(at(301));
    await vi.advanceTimersByTimeAsync(POLL + 400);
    expect(turns).toEqual([0, 301, 1301]);
    await loop.stop();
  });

  it('a due time at or after the next regular poll is left to it; one already due wakes at once', async () => {
    const { loop, turns } = poller();
    loop.start();
    await vi.advanceTimersByTimeAsync(10);
    loop.wakeAt(at(10 + POLL));
    loop.wakeAt(at(5_000));
    await vi.advanceTimersByTimeAsync(POLL + 5);
    expect(turns).toEqual([0, 1000]);
    loop.wakeAt(at(Date.now()));
    await vi.advanceTimersByTimeAsync(0);
    expect(turns).toEqual([0, 1000, 1015]);
    await loop.stop();
  });

  it('stop() ends every wait and timer at once: even the wait for slots, a known due time, a freed slot', async () => {
    const { loop } = poller({ mostlyBusy: () => true });
    loop.start();
    await vi.advanceTimersByTimeAsync(1);
    loop.wakeAt(at(500));
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(true);
    await stopping;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() clears the timers of a due time and of a freed slot', async () => {
    const { loop } = poller({
      freeSlots: () => [
        { name: 'a', limit: 1 },
        { name: 'b', limit: 1 },
      ],
      claim: (turn) => (turn === 0 ? full('a') : full()),
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(1);
    loop.wakeAt(at(500));
    loop.slotFreed('a');
    await loop.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('due times given before start() or after stop() are ignored', async () => {
    const { loop, turns } = poller();
    loop.wakeAt(at(300));
    loop.start();
    await vi.advanceTimersByTimeAsync(POLL - 10);
    expect(turns).toEqual([0]);
    await loop.stop();
    loop.wakeAt(at(Date.now() + 100));
    await vi.advanceTimersByTimeAsync(POLL);
    expect(turns).toEqual([0]);
  });

  it('a freed slot of a name whose last claim was full: a turn 2 ms later; of another name, none', async () => {
    // The first turn is full for 'a' but asked for 'a' and 'b', so the loop waits.
    const { loop, turns } = poller({
      freeSlots: () => [
        { name: 'a', limit: 1 },
        { name: 'b', limit: 1 },
      ],
      claim: (turn) => (turn === 0 ? full('a') : full()),
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(100);
    loop.slotFreed('b');
    await vi.advanceTimersByTimeAsync(10);
    expect(turns).toEqual([0]);
    loop.slotFreed('a');
    loop.slotFreed('a');
    await vi.advanceTimersByTimeAsync(1);
    expect(turns).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(turns).toEqual([0, 112]);
    await loop.stop();
  });
});

describe('poller: health and hand-over', () => {
  it('a failed claim is reported and the next turn waits a full interval', async () => {
    const failure = new Error('server selection timed out');
    const { loop, turns, results } = poller({
      claim: (turn) => {
        if (turn === 0) throw failure;
        return full();
      },
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(POLL + 10);
    expect(turns).toEqual([0, 1000]);
    expect(results).toEqual([failure, null]);
    await loop.stop();
  });

  it('no free slot: no claim; after each interval a ping keeps health fresh, and a failed ping is reported', async () => {
    const failure = new Error('ping failed');
    let pingsSoFar = 0;
    const { loop, turns, results, pings } = poller({
      freeSlots: () => [],
      ping: async () => {
        pingsSoFar += 1;
        if (pingsSoFar === 2) throw failure;
      },
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(POLL - 1);
    expect(pings()).toBe(0);
    await vi.advanceTimersByTimeAsync(2 * POLL + 1);
    expect(turns).toEqual([]);
    expect(pings()).toBe(3);
    // Each idle turn reports its (empty) round trip, each ping its own.
    expect(results).toEqual([null, null, null, failure, null, null, null]);
    await loop.stop();
  });

  it('no ping when a slot freed up during the wait: the next turn is a round trip anyway', async () => {
    let slots: ClaimRequest[] = [];
    const { loop, turns, pings } = poller({ freeSlots: () => slots });
    loop.start();
    await vi.advanceTimersByTimeAsync(POLL / 2);
    slots = ONE_SLOT;
    await vi.advanceTimersByTimeAsync(POLL / 2);
    expect(pings()).toBe(0);
    expect(turns).toEqual([POLL]);
    await loop.stop();
  });

  it('jobs of a lost claim are run first, except those this instance already runs', async () => {
    const { loop, ran } = poller({
      lost: { jobs: [job('mine'), job('lost')], runsHere: (claimed) => claimed.name === 'mine' },
      claim: () => full('new'),
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    await loop.stop();
    expect(ran.slice(0, 2)).toEqual(['lost', 'new']);
  });

  it('a claim that returns after stop() began: its jobs are given back, never run', async () => {
    let answer: (turn: ClaimTurn) => void = () => {};
    const { loop, ran, released } = poller({ claim: () => new Promise((resolve) => (answer = resolve)) });
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    const stopping = loop.stop();
    expect(loop.state).toBe('stopping');
    answer(full('late'));
    await stopping;
    expect(ran).toEqual([]);
    expect(released).toEqual(['late']);
    expect(loop.state).toBe('stopped');
  });
});

describe('poller: a turn stop() gave up on (detach)', () => {
  it('start() runs a new loop at once; the old turn, when it ends, reports nothing, takes no sleeper, and its stop() leaves the new loop running', async () => {
    let failOldTurn: (error: Error) => void = () => {};
    const { loop, turns, results } = poller({
      claim: (turn) =>
        turn === 0
          ? new Promise<ClaimTurn>((_, reject) => {
              failOldTurn = reject;
            })
          : full(),
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(turns).toEqual([0]);
    const oldStop = loop.stop();
    loop.detach();
    expect(loop.state).toBe('stopped');
    loop.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(turns).toEqual([0, 10]);
    expect(results).toEqual([null]);
    failOldTurn(new Error('the old turn failed late'));
    await oldStop;
    await vi.advanceTimersByTimeAsync(10);
    expect(results).toEqual([null]);
    expect(loop.state).toBe('running');
    // The new loop still owns its sleep: a wake-up ends it.
    loop.wake();
    await vi.advanceTimersByTimeAsync(1);
    expect(turns).toEqual([0, 10, 30]);
    await loop.stop();
  });
});

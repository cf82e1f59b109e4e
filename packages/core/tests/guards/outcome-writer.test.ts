/**
 * The outcome writer's promises: outcomes finishing together share one write (at most `maxBatch`
 * each), every caller learns what became of its own outcome, a write that fails is retried with
 * doubling delays (capped) until it lands, and only `abandon()` gives up. The store is a stand-in
 * with the real store's contract (it answers one result per outcome, or throws for the batch):
 * what is tested is the writer's own timing and bookkeeping, on fake timers where delays matter.
 */
import { ObjectId } from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutcomeAbandonedError, OutcomeWriter } from '../../src/engine/outcome-writer.js';
import { JobStatus } from '../../src/job.js';
import type { JobOutcome, OutcomeResult, OutcomeStore } from '../../src/store/outcome-store.js';

const AT = new Date('2030-01-01T00:00:00Z');

function outcome(n: number): JobOutcome {
  return {
    job: { _id: new ObjectId(), name: 'task', data: { n }, status: JobStatus.PROCESSING } as JobOutcome['job'],
    transition: { status: JobStatus.COMPLETED, at: AT },
    fence: { claimToken: 'claim' },
  };
}

/** A store whose `apply` records each batch and answers from `answer` (or throws `failures` first). */
function standInStore(options: { failures?: number; answer?: (o: JobOutcome) => OutcomeResult } = {}) {
  const batches: { at: number; size: number }[] = [];
  let failures = options.failures ?? 0;
  const store = {
    apply: async (outcomes: readonly JobOutcome[]): Promise<OutcomeResult[]> => {
      batches.push({ at: Date.now(), size: outcomes.length });
      if (failures > 0) {
        failures -= 1;
        throw new Error(`outage (${failures} left)`);
      }
      return outcomes.map((o) => options.answer?.(o) ?? { kind: 'written' });
    },
  } as unknown as OutcomeStore;
  return { store, batches };
}

describe('OutcomeWriter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('outcomes queued together share one write; each caller gets its own result', async () => {
    const { store, batches } = standInStore({
      answer: (o) => ((o.job.data as { n: number }).n === 1 ? { kind: 'lost' } : { kind: 'written' }),
    });
    const writer = new OutcomeWriter(store, () => {}, { flushDelay: 5 });
    const results = await Promise.all([0, 1, 2].map((n) => writer.write(outcome(n))));
    expect(results.map((r) => r.kind)).toEqual(['written', 'lost', 'written']);
    expect(batches.map((b) => b.size)).toEqual([3]);
    expect(writer.pendingCount).toBe(0);
  });

  it('maxBatch: a full batch goes at once, the rest follows in the next write', async () => {
    const { store, batches } = standInStore();
    const writer = new OutcomeWriter(store, () => {}, { flushDelay: 60_000, maxBatch: 2 });
    const first = [writer.write(outcome(0)), writer.write(outcome(1))];
    await Promise.all(first);
    expect(batches.map((b) => b.size)).toEqual([2]);
    const third = writer.write(outcome(2));
    expect(writer.pendingCount).toBe(1);
    await writer.flush();
    expect((await third).kind).toBe('written');
    expect(batches.map((b) => b.size)).toEqual([2, 1]);
  });

  it('a failed write is retried after 20, 40, 50 (capped), 50 ms: doubling delays up to maxRetryDelay, until it lands', async () => {
    vi.useFakeTimers();
    const { store, batches } = standInStore({ failures: 4 });
    const seen: number[] = [];
    const writer = new OutcomeWriter(store, (_error, consecutive) => seen.push(consecutive), {
      flushDelay: 1,
      retryDelay: 20,
      maxRetryDelay: 50,
    });
    const result = writer.write(outcome(0));
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toHaveLength(1);
    for (const delay of [20, 40, 50, 50]) {
      const before = batches.length;
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(batches, `not retried before ${delay} ms`).toHaveLength(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(batches, `retried after ${delay} ms`).toHaveLength(before + 1);
    }
    expect((await result).kind).toBe('written');
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('after a failure, new outcomes wait for the retry instead of forcing a write', async () => {
    vi.useFakeTimers();
    const { store, batches } = standInStore({ failures: 1 });
    const writer = new OutcomeWriter(store, () => {}, { flushDelay: 1, maxBatch: 1, retryDelay: 30 });
    const first = writer.write(outcome(0));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toHaveLength(1);
    // The batch is full again, but a write is failing: it waits for the retry.
    const second = writer.write(outcome(1));
    await vi.advanceTimersByTimeAsync(29);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toHaveLength(2);
    expect((await first).kind).toBe('written');
    await vi.advanceTimersByTimeAsync(1);
    expect((await second).kind).toBe('written');
    expect(batches.map((batch) => batch.size)).toEqual([1, 1, 1]);
  });

  it('abandon() resolves every queued outcome as abandoned, and drain() then resolves', async () => {
    const { store } = standInStore({ failures: Number.POSITIVE_INFINITY });
    const writer = new OutcomeWriter(store, () => {}, { flushDelay: 1, retryDelay: 10 });
    const pending = writer.write(outcome(0));
    const drained = writer.drain();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(writer.pendingCount).toBe(1);
    writer.abandon();
    const result = await pending;
    expect(result.kind).toBe('error');
    expect((result as { error: unknown }).error).toBeInstanceOf(OutcomeAbandonedError);
    expect((result as { error: Error }).error).toMatchObject({
      name: 'OutcomeAbandonedError',
      message: expect.stringContaining('not written before stop() gave up (shutdownTimeout)'),
    });
    await drained;
    expect(writer.pendingCount).toBe(0);
  });

  it('abandon() also gives up a write in flight (it may have been applied); its failure afterwards is not retried nor reported', async () => {
    let fail: (error: Error) => void = () => {};
    const batches: number[] = [];
    const store = {
      apply: (outcomes: readonly JobOutcome[]) => {
        batches.push(outcomes.length);
        return new Promise<OutcomeResult[]>((_, reject) => {
          fail = reject;
        });
      },
    } as unknown as OutcomeStore;
    const reported: unknown[] = [];
    const writer = new OutcomeWriter(store, (error) => reported.push(error), { flushDelay: 1, retryDelay: 1 });
    const pending = writer.write(outcome(0));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batches).toEqual([1]);
    writer.abandon();
    const result = await pending;
    expect((result as { error: OutcomeAbandonedError }).error).toMatchObject({
      inFlight: true,
      message: expect.stringContaining('it may have been applied'),
    });
    fail(new Error('connection reset'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([1]);
    expect(reported).toEqual([]);
    expect(writer.pendingCount).toBe(0);
  });

  it('after abandon(): a new outcome is abandoned at once, nothing is sent, no timer is set; reopen() accepts outcomes again', async () => {
    vi.useFakeTimers();
    const { store, batches } = standInStore();
    const writer = new OutcomeWriter(store, () => {}, { flushDelay: 1 });
    writer.abandon();
    const late = await writer.write(outcome(0));
    expect((late as { error: unknown }).error).toBeInstanceOf(OutcomeAbandonedError);
    expect(vi.getTimerCount()).toBe(0);
    writer.reopen();
    const again = writer.write(outcome(1));
    await vi.advanceTimersByTimeAsync(1);
    expect((await again).kind).toBe('written');
    expect(batches.map((batch) => batch.size)).toEqual([1]);
  });

  it('drain() with nothing queued resolves at once; with outcomes queued, once they are written', async () => {
    const { store, batches } = standInStore();
    const writer = new OutcomeWriter(store, () => {}, { flushDelay: 60_000 });
    await writer.drain();
    const pending = writer.write(outcome(0));
    await writer.drain();
    expect(batches).toHaveLength(1);
    expect((await pending).kind).toBe('written');
  });

  it('flush(): writes what is queued at once and cancels the pending timer; with nothing queued, writes nothing', async () => {
    vi.useFakeTimers();
    const { store, batches } = standInStore();
    const writer = new OutcomeWriter(store, () => {}, { flushDelay: 60_000 });
    await writer.flush();
    expect(batches).toEqual([]);
    const pending = writer.write(outcome(0));
    expect(vi.getTimerCount()).toBe(1);
    await writer.flush();
    expect((await pending).kind).toBe('written');
    expect(vi.getTimerCount()).toBe(0);
    expect(batches).toHaveLength(1);
  });

  it('drain() during an outage waits for the planned retry instead of forcing another write', async () => {
    vi.useFakeTimers();
    const { store, batches } = standInStore({ failures: 1 });
    const writer = new OutcomeWriter(store, () => {}, { flushDelay: 1, retryDelay: 100 });
    const pending = writer.write(outcome(0));
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toHaveLength(1);
    const drained = writer.drain();
    await vi.advanceTimersByTimeAsync(99);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await drained;
    expect(batches).toHaveLength(2);
    expect((await pending).kind).toBe('written');
  });

  it('a write whose reply never comes gives up after writeTimeout: the outcomes behind it go with its retry; drain() waits for them', async () => {
    vi.useFakeTimers();
    const batches: number[] = [];
    const store = {
      apply: (outcomes: readonly JobOutcome[]): Promise<OutcomeResult[]> => {
        batches.push(outcomes.length);
        if (batches.length === 1) return new Promise(() => {});
        return Promise.resolve(outcomes.map(() => ({ kind: 'written' }) as const));
      },
    } as unknown as OutcomeStore;
    const failures: unknown[] = [];
    const writer = new OutcomeWriter(store, (error) => failures.push(error), {
      flushDelay: 1,
      retryDelay: 100,
      writeTimeout: 1_000,
    });
    const order: string[] = [];
    const first = writer.write(outcome(0));
    void first.then(() => order.push('first written'));
    await vi.advanceTimersByTimeAsync(1);
    let drained = false;
    void writer.drain().then(() => {
      drained = true;
      order.push('drained');
    });
    const later = writer.write(outcome(1));
    await vi.advanceTimersByTimeAsync(999);
    expect([batches, failures, drained]).toEqual([[1], [], false]);
    await vi.advanceTimersByTimeAsync(1);
    expect((failures[0] as Error).name).toBe('OperationTimeoutError');
    expect(batches).toEqual([1, 2]);
    expect([(await first).kind, (await later).kind]).toEqual(['written', 'written']);
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['first written', 'drained']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a store answer missing for an outcome is reported as an error of that outcome', async () => {
    const store = { apply: async () => [] } as unknown as OutcomeStore;
    const writer = new OutcomeWriter(store, () => {}, { flushDelay: 1 });
    const result = await writer.write(outcome(0));
    expect(result).toMatchObject({ kind: 'error' });
    expect((result as { error: Error }).error.message).toBe('no result for this outcome');
  });
});

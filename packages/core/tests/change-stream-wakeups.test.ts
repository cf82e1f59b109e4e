/**
 * The logic around change streams, run here although the embedded backend has none: the
 * wake-ups are driven by a stand-in stream (an EventEmitter with `close()`), so what is tested is
 * our own state machine — fall back once when the stream never came up, reopen when a stream
 * that worked fails, pass changes on as hints. The real stream is tested in wakeups.test.ts where
 * the server supports it.
 */
import { EventEmitter } from 'node:events';
import type { ChangeStream } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ChangeStreamWakeups } from '../src/engine/change-stream-wakeups.js';
import type { JobDocument } from '../src/store/job-document.js';

class StandInStream extends EventEmitter {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

function setup(reopenDelay = 10) {
  const streams: StandInStream[] = [];
  const pending: { name: string | undefined; at: Date | undefined }[] = [];
  const fallbacks: string[] = [];
  const wakeups = new ChangeStreamWakeups({
    open: () => {
      const stream = new StandInStream();
      streams.push(stream);
      return stream as unknown as ChangeStream<JobDocument>;
    },
    onPending: (name, at) => pending.push({ name, at }),
    onFallback: (reason) => fallbacks.push(reason),
    reopenDelay,
  });
  return { wakeups, streams, pending, fallbacks };
}

describe('ChangeStreamWakeups', () => {
  it('falls back for good, once, when the stream fails before it ever came up', async () => {
    const { wakeups, streams, fallbacks } = setup();
    wakeups.start();
    streams[0]?.emit('error', new Error('The $changeStream stage is only supported on replica sets\nmore'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fallbacks).toEqual(['The $changeStream stage is only supported on replica sets']);
    expect(streams).toHaveLength(1);
    expect(streams[0]?.closed).toBe(true);
    await wakeups.stop();
  });

  it('falls back when opening the stream throws', async () => {
    const fallbacks: string[] = [];
    const wakeups = new ChangeStreamWakeups({
      open: () => {
        throw new Error('watch() is not supported');
      },
      onPending: () => {},
      onFallback: (reason) => fallbacks.push(reason),
      reopenDelay: 10,
    });
    wakeups.start();
    expect(fallbacks).toEqual(['watch() is not supported']);
    await wakeups.stop();
  });

  it('passes changes on as hints, and reopens a stream that worked and then failed', async () => {
    const { wakeups, streams, pending, fallbacks } = setup();
    wakeups.start();
    const first = streams[0] as StandInStream;
    // What the driver emits once the server answered the stream's first command.
    first.emit('resumeTokenChanged', { _data: 'token' });
    const at = new Date('2026-11-29T10:00:00Z');
    first.emit('change', { operationType: 'insert', fullDocument: { name: 'email', nextRunAt: at } });
    first.emit('change', { operationType: 'update', updateDescription: {} });
    expect(pending).toEqual([
      { name: 'email', at },
      { name: undefined, at: undefined },
    ]);

    first.emit('error', new Error('connection reset'));
    expect(first.closed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(streams).toHaveLength(2);
    expect(fallbacks).toEqual([]);
    await wakeups.stop();
    expect(streams[1]?.closed).toBe(true);
  });

  it('does not reopen after stop()', async () => {
    const { wakeups, streams } = setup(20);
    wakeups.start();
    (streams[0] as StandInStream).emit('init');
    (streams[0] as StandInStream).emit('error', new Error('connection reset'));
    await wakeups.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(streams).toHaveLength(1);
  });
});

/**
 * How the change-stream wake-ups learn that the server has change streams: the first sign of a
 * working stream (the cursor's `init`, or the driver's `resumeTokenChanged`, emitted with every
 * batch even when no change arrives) marks it up, so a later failure reopens the stream instead
 * of falling back to polling for good. Each sign is tested alone: no `change` event helps.
 */
import { EventEmitter } from 'node:events';
import type { ChangeStream } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ChangeStreamWakeups } from '../../src/engine/change-stream-wakeups.js';
import type { JobDocument } from '../../src/store/job-document.js';

class StandInStream extends EventEmitter {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

function setup() {
  const streams: StandInStream[] = [];
  const fallbacks: string[] = [];
  const wakeups = new ChangeStreamWakeups({
    open: () => {
      const stream = new StandInStream();
      streams.push(stream);
      return stream as unknown as ChangeStream<JobDocument>;
    },
    onPending: () => {},
    onFallback: (reason) => fallbacks.push(reason),
    reopenDelay: 5,
  });
  return { wakeups, streams, fallbacks };
}

describe('change-stream wake-ups: the stream is up', () => {
  it.each(['resumeTokenChanged', 'init'])(
    'up-signal guard: %s alone marks the stream up, so a later error reopens it (no fallback)',
    async (signal) => {
      const { wakeups, streams, fallbacks } = setup();
      wakeups.start();
      const first = streams[0] as StandInStream;
      first.emit(signal, { _data: 'token' });
      first.emit('error', new Error('connection reset'));
      expect(first.closed).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fallbacks).toEqual([]);
      expect(streams).toHaveLength(2);
      await wakeups.stop();
    },
  );

  it('without any sign the first error means unsupported: fall back once, no reopen', async () => {
    const { wakeups, streams, fallbacks } = setup();
    wakeups.start();
    (streams[0] as StandInStream).emit('error', new Error('no $changeStream here'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fallbacks).toEqual(['no $changeStream here']);
    expect(streams).toHaveLength(1);
    await wakeups.stop();
  });

  it('an error of a stream already replaced is ignored', async () => {
    const { wakeups, streams, fallbacks } = setup();
    wakeups.start();
    const first = streams[0] as StandInStream;
    first.emit('init');
    first.emit('error', new Error('reset'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(streams).toHaveLength(2);
    first.emit('error', new Error('late error of the old stream'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(streams).toHaveLength(2);
    expect((streams[1] as StandInStream).closed).toBe(false);
    expect(fallbacks).toEqual([]);
    await wakeups.stop();
    expect((streams[1] as StandInStream).closed).toBe(true);
  });
});

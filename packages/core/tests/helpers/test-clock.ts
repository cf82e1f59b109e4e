/**
 * A clock a test moves by hand, injected as `MonqueOptions.clock`: the engine reads every
 * timestamp from it, so cron and retry times can be checked exactly without waiting.
 */
import type { Clock } from '../../src/index.js';

/** A {@link Clock} that stands still until the test sets or advances it. */
export class TestClock implements Clock {
  private current: number;

  /** @param start - the time the clock shows first */
  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }

  /** The time the clock shows. */
  now(): Date {
    return new Date(this.current);
  }

  /** Shows `time` from now on. */
  set(time: Date | string): void {
    this.current = new Date(time).getTime();
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.current += ms;
  }
}

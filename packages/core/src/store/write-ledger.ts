/**
 * What one deduplicating enqueue (a short loop of reads and guarded writes) has written, as far as
 * it can know, so that a call that gives up tells its caller the truth, as a plain enqueue does: a
 * `ConnectionError` whose `mayHaveBeenApplied` is `false` only when nothing was written and nothing
 * ever will be.
 *
 * - A write sent counts as possibly applied unless its reply or its error proves otherwise: a
 *   guarded write that matched nothing, a duplicate-key refusal, a command that never left the
 *   driver. A lost reply, a timeout or a write that went through all count (a throttle window opened
 *   without its job is completed by the next call in the window, so even that call's job may be
 *   written later).
 * - A caller that gives up (`operationTimeout`) before any write was sent withdraws the call: it
 *   sends no write afterwards, so its error can say that nothing was or will be written.
 */
import { OutcomeUnknownError, wasNeverSent } from '../database-errors.js';
import { isDuplicateKeyError } from './job-document.js';

/** The writes of one deduplicating enqueue. */
export class WriteLedger {
  private sent = false;
  private mayHaveApplied = false;
  private withdrawn = false;

  /**
   * Sends one write of the call, noting whether it may have changed anything.
   * @param changed - whether its reply says it changed something (a guarded write may match nothing)
   * @throws Error without sending it when the call was withdrawn
   */
  async write<R>(send: () => Promise<R>, changed: (result: R) => boolean = () => true): Promise<R> {
    if (this.withdrawn) throw new Error('the caller gave up before this write was sent');
    this.sent = true;
    try {
      const result = await send();
      if (changed(result)) this.mayHaveApplied = true;
      return result;
    } catch (error) {
      if (!isDuplicateKeyError(error) && !wasNeverSent(error)) this.mayHaveApplied = true;
      throw error;
    }
  }

  /**
   * The caller gave up: withdraws the call when none of its writes was sent yet.
   * @returns `true` when withdrawn (nothing was or will be written), `false` once a write was sent
   */
  withdraw(): boolean {
    if (this.sent) return false;
    this.withdrawn = true;
    return true;
  }

  /**
   * The error a call that gives up with `error` rejects with: `error` itself when none of its writes
   * may have been applied, else an {@link OutcomeUnknownError} wrapping it.
   */
  failure(error: unknown): unknown {
    return this.mayHaveApplied ? new OutcomeUnknownError('it gave up after one of its writes was sent', error) : error;
  }
}

/** `changed` of an `updateOne`: whether it modified a document. */
export function modifiedAny(result: { modifiedCount: number }): boolean {
  return result.modifiedCount > 0;
}

/** `changed` of a `findOneAndUpdate` without upsert: whether it found (and so changed) a document. */
export function foundOne(result: unknown): boolean {
  return result !== null;
}

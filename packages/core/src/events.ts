/**
 * A typed event emitter whose listeners cannot break the scheduler: an error thrown by a listener,
 * or a promise it returns that rejects, is reported once as `job:error` (or, from a `job:error`
 * listener, as a process warning: never a loop).
 */
import { EventEmitter } from 'node:events';
import { MonqueError, MonqueErrorCode } from './errors/monque-error.js';
import type { MonqueEventMap } from './event-map.js';
import type { JobMap } from './job-map.js';

/** A listener of event `K` (it may be async: a rejected promise is reported like a throw). */
export type MonqueListener<K extends keyof MonqueEventMap, J = JobMap> = (payload: MonqueEventMap<J>[K]) => unknown;

/** EventEmitter with `on`/`once`/`off` typed by {@link MonqueEventMap}. */
export class MonqueEventEmitter<J = JobMap> extends EventEmitter {
  override on<K extends keyof MonqueEventMap>(event: K, listener: MonqueListener<K, J>): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof MonqueEventMap>(event: K, listener: MonqueListener<K, J>): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  override off<K extends keyof MonqueEventMap>(event: K, listener: MonqueListener<K, J>): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  /** Calls every listener of `event`; a listener's error never reaches the caller. */
  override emit<K extends keyof MonqueEventMap>(event: K, payload: MonqueEventMap[K]): boolean {
    const listeners = this.rawListeners(event) as ((payload: unknown) => unknown)[];
    for (const listener of listeners) {
      try {
        const returned = listener.call(this, payload);
        if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
          (returned as PromiseLike<unknown>).then(undefined, (error: unknown) =>
            this.reportListenerError(event, error),
          );
        }
      } catch (error) {
        this.reportListenerError(event, error);
      }
    }
    return listeners.length > 0;
  }

  private reportListenerError(event: keyof MonqueEventMap, error: unknown): void {
    const wrapped = new MonqueError(MonqueErrorCode.LISTENER, `a '${event}' listener failed: ${String(error)}`, {
      cause: error,
    });
    if (event === 'job:error') {
      process.emitWarning(wrapped.message, { code: wrapped.code });
      return;
    }
    this.emit('job:error', { error: wrapped });
  }
}

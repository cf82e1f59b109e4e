/**
 * A typed event emitter whose listeners cannot break the scheduler: an error thrown by a
 * listener is reported as `job:error` (or, from a `job:error` listener, as a process warning).
 */
import { EventEmitter } from 'node:events';
import { MonqueError, MonqueErrorCode } from './errors/monque-error.js';
import type { MonqueEventMap } from './types.js';

/** A listener of event `K`. */
export type MonqueListener<K extends keyof MonqueEventMap> = (payload: MonqueEventMap[K]) => void;

/** EventEmitter with `on`/`once`/`off` typed by {@link MonqueEventMap}. */
export class MonqueEventEmitter extends EventEmitter {
  override on<K extends keyof MonqueEventMap>(event: K, listener: MonqueListener<K>): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof MonqueEventMap>(event: K, listener: MonqueListener<K>): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  override off<K extends keyof MonqueEventMap>(event: K, listener: MonqueListener<K>): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  /** Calls every listener of `event`; a listener's error never reaches the caller. */
  override emit<K extends keyof MonqueEventMap>(event: K, payload: MonqueEventMap[K]): boolean {
    const listeners = this.rawListeners(event) as ((payload: unknown) => void)[];
    for (const listener of listeners) {
      try {
        listener.call(this, payload);
      } catch (error) {
        this.reportListenerError(event, error);
      }
    }
    return listeners.length > 0;
  }

  private reportListenerError(event: keyof MonqueEventMap, error: unknown): void {
    const wrapped = new MonqueError(MonqueErrorCode.LISTENER, `a '${event}' listener threw: ${String(error)}`, {
      cause: error,
    });
    if (event === 'job:error') {
      process.emitWarning(wrapped.message, { code: wrapped.code });
      return;
    }
    this.emit('job:error', { error: wrapped });
  }
}

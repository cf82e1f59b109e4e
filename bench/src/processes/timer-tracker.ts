/**
 * A diagnostic for the memory soak: wraps the global `setTimeout`/`setInterval` so that the timers
 * still alive (and keeping the process up) can be listed with where they were created. Node's
 * `getActiveResourcesInfo()` only says "Timeout"; this says whose. Timers created through
 * `node:timers` imports (the driver's) are not seen; code calling the globals (Monque's) is.
 */

import { fileURLToPath } from 'node:url';

type TimerHandle = ReturnType<typeof setTimeout>;

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const live = new Map<TimerHandle, string>();
let installed = false;

/** The first stack frame outside this file and Node's internals: who created the timer. */
function creator(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  const frame = frames.find((line) => !line.includes('timer-tracker') && !line.includes('node:internal'));
  return (frame ?? 'unknown').trim().replace(/^at /, '').replace('file://', '').replace(REPOSITORY_ROOT, '');
}

/** Starts tracking timers created from now on. */
export function installTimerTracker(): void {
  if (installed) return;
  installed = true;
  const originalTimeout = globalThis.setTimeout;
  const originalInterval = globalThis.setInterval;
  const originalClearTimeout = globalThis.clearTimeout;
  const originalClearInterval = globalThis.clearInterval;
  const wrappedTimeout = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): TimerHandle => {
    const handle: TimerHandle = originalTimeout(
      (...callArgs: unknown[]) => {
        live.delete(handle);
        callback(...callArgs);
      },
      ms,
      ...args,
    );
    live.set(handle, `setTimeout from ${creator()}`);
    return handle;
  };
  const wrappedInterval = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): TimerHandle => {
    const handle = originalInterval(callback, ms, ...args);
    live.set(handle, `setInterval from ${creator()}`);
    return handle;
  };
  globalThis.setTimeout = Object.assign(wrappedTimeout, originalTimeout) as typeof setTimeout;
  globalThis.setInterval = Object.assign(wrappedInterval, originalInterval) as typeof setInterval;
  globalThis.clearTimeout = ((handle?: TimerHandle | string | number) => {
    if (handle !== undefined && typeof handle === 'object') live.delete(handle);
    originalClearTimeout(handle);
  }) as typeof clearTimeout;
  globalThis.clearInterval = ((handle?: TimerHandle | string | number) => {
    if (handle !== undefined && typeof handle === 'object') live.delete(handle);
    originalClearInterval(handle);
  }) as typeof clearInterval;
}

/** Tracked timers that are alive and keep the process up (`hasRef()`), by creator. */
export function liveTimers(): string[] {
  return [...live.entries()].filter(([handle]) => handle.hasRef()).map(([, where]) => where);
}

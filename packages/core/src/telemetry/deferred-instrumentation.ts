/**
 * Instrumentation whose implementation is known only once `@opentelemetry/api` has loaded
 * (asynchronously: see `opentelemetry-api.ts`). Calls made before wait for it; once it is known,
 * its methods replace this object's own, so later calls go straight to it (to the no-op hooks
 * when the package is absent: the same cost as `telemetry: false`).
 */
import type { Instrumentation } from '../engine/instrumentation.js';

/** Waits for its implementation, then becomes it. */
export class DeferredInstrumentation implements Instrumentation {
  enqueue: Instrumentation['enqueue'];
  run: Instrumentation['run'];
  runEnded: Instrumentation['runEnded'];

  /** @param implementation - resolves to the implementation; must not reject */
  constructor(implementation: Promise<Instrumentation>) {
    const ready = implementation.then((resolved) => {
      this.enqueue = resolved.enqueue;
      this.run = resolved.run;
      this.runEnded = resolved.runEnded;
      return resolved;
    });
    this.enqueue = (name, count, work) => ready.then((resolved) => resolved.enqueue(name, count, work));
    this.run = (job, work) => ready.then((resolved) => resolved.run(job, work));
    // A run ends only after its `run` call, which waited for the implementation.
    this.runEnded = () => {};
  }
}

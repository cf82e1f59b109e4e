/**
 * Ctrl-C handling for the demo: the first SIGINT/SIGTERM asks for a graceful stop (the demo lets
 * running jobs finish); a second one, pressed later, exits at once.
 *
 * One Ctrl-C often arrives more than once: the terminal signals the whole process group, and
 * `npm run` and `tsx` each forward the signal to their child as well. Signals within
 * {@link DUPLICATE_WINDOW_MS} of the first are taken as that same Ctrl-C.
 */

/** Signals this soon after the first one are duplicates of it, not a second Ctrl-C. */
export const DUPLICATE_WINDOW_MS = 1_000;

/** Resolves on the first SIGINT/SIGTERM; a later second signal calls `onForce`. */
export class ShutdownSignal {
  /** The name of the first signal received, once one was. */
  received: NodeJS.Signals | undefined;
  /** Resolves with the first signal's name. */
  readonly promise: Promise<NodeJS.Signals>;
  private resolve!: (signal: NodeJS.Signals) => void;
  private receivedAt = 0;
  private readonly handler = (signal: NodeJS.Signals): void => {
    if (this.received) {
      if (Date.now() - this.receivedAt >= DUPLICATE_WINDOW_MS) this.onForce(signal);
      return;
    }
    this.received = signal;
    this.receivedAt = Date.now();
    this.resolve(signal);
  };

  /** @param onForce - called on the second signal (it should exit the process) */
  constructor(private readonly onForce: (signal: NodeJS.Signals) => void) {
    this.promise = new Promise((resolve) => {
      this.resolve = resolve;
    });
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  /** Removes the signal handlers. */
  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}

/**
 * Messages between a multi-process test and its child scripts (over the `fork` IPC channel).
 */

/** Sent by a child. */
export type ChildMessage =
  /** The child's schedulers are started (or, for scripts that only write, it is connected). */
  | { type: 'ready'; instanceIds: string[] }
  /** A handler began running job `jobId` in instance `instanceId`. */
  | { type: 'started'; jobId: string; instanceId: string }
  /** The child stopped; these are the ids of every job its handlers ran, one entry per run. */
  | { type: 'ran'; ids: string[] }
  /** `schedule()` returned the recurring job `jobId`. */
  | { type: 'scheduled'; jobIds: string[] };

/** Sent to a child. */
export type ParentMessage = { type: 'go' } | { type: 'stop' };

/** Whether `value` is a {@link ChildMessage}. */
export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Whether `value` is a {@link ParentMessage}. */
export function isParentMessage(value: unknown): value is ParentMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'go' || type === 'stop';
}

/** Sends `message` to the parent (children only). */
export function sendToParent(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('this script must be started with child_process.fork (no IPC channel)'));
      return;
    }
    process.send(message, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

/** Resolves with the first message from the parent that matches `type`. */
export function messageFromParent(type: ParentMessage['type']): Promise<ParentMessage> {
  return new Promise((resolve) => {
    const listener = (message: unknown): void => {
      if (!isParentMessage(message) || message.type !== type) return;
      process.off('message', listener);
      resolve(message);
    };
    process.on('message', listener);
  });
}

/** A child exits when its parent goes away, so no test can leave one behind. */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(1));
}

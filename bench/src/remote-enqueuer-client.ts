/**
 * The parent's side of `remote-enqueuer.ts`: starts the process, asks it to enqueue, stops it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { QueueLibrary } from './queues/bench-queue.js';
import type { EnqueuerReply, EnqueuerRequest } from './remote-enqueuer.js';

const script = fileURLToPath(new URL('./remote-enqueuer.ts', import.meta.url));

/** A running enqueuer process. */
export class RemoteEnqueuer {
  private readonly waiting: ((message: EnqueuerReply) => void)[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: EnqueuerReply) => this.waiting.shift()?.(message));
  }

  /** Starts the process with a queue of `library` on `collection`. */
  static async start(
    library: QueueLibrary['label'],
    target: { uri: string; dbName: string; collection: string },
  ): Promise<RemoteEnqueuer> {
    const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const enqueuer = new RemoteEnqueuer(child);
    await enqueuer.request({ type: 'open', library, ...target }, 'ready');
    return enqueuer;
  }

  private request(message: EnqueuerRequest, expected: EnqueuerReply['type']): Promise<EnqueuerReply> {
    return new Promise((resolve, reject) => {
      this.waiting.push((answer) => {
        if (answer.type === expected) resolve(answer);
        else reject(new Error(`enqueuer process: ${answer.type === 'failed' ? answer.message : answer.type}`));
      });
      this.child.send(message);
    });
  }

  /** Has the other process enqueue job `seq` (stamped with its own `Date.now()`). */
  async enqueue(seq: number): Promise<void> {
    await this.request({ type: 'enqueue', seq }, 'enqueued');
  }

  /** Closes the queue and waits for the process to exit. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    this.child.send({ type: 'close' } satisfies EnqueuerRequest);
    await exited;
    clearTimeout(timer);
  }
}

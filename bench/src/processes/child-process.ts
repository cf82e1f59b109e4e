/**
 * The parent's side of a benchmark child process (`fork` + IPC, TypeScript run by `tsx`):
 * requests out, typed replies back, streamed messages to listeners, and a bounded stop.
 * The child's side is {@link serveRequests}.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Every message has a `type`. */
export interface Message {
  readonly type: string;
}

/** What a child sends when a request failed. */
export interface FailedReply {
  readonly type: 'failed';
  readonly message: string;
}

interface Waiter<Reply> {
  readonly type: string;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
}

/** How long a child gets to exit after `close` before it is killed. */
const EXIT_GRACE_MS = 10_000;

/** A running child process speaking `Request`/`Reply` messages. */
export class ChildProcessHandle<Request extends Message, Reply extends Message> {
  private readonly waiters: Waiter<Reply>[] = [];
  private readonly listeners = new Map<string, (reply: Reply) => void>();
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly label: string,
  ) {
    child.on('message', (message: Reply | FailedReply) => this.dispatch(message));
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = true;
        for (const waiter of this.waiters.splice(0)) {
          waiter.reject(
            new Error(`${label} exited (code ${code}, signal ${signal}) while waiting for '${waiter.type}'`),
          );
        }
        resolve();
      });
    });
  }

  /**
   * Starts `script` (a `.ts` file next to this one, run through `tsx`).
   * @param nodeFlags - extra node flags, e.g. `['--expose-gc']`
   */
  static start<Request extends Message, Reply extends Message>(
    script: URL,
    label: string,
    nodeFlags: readonly string[] = [],
  ): ChildProcessHandle<Request, Reply> {
    const child = fork(fileURLToPath(script), [], {
      execArgv: [...nodeFlags, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new ChildProcessHandle<Request, Reply>(child, label);
  }

  /** Calls `listener` with every message of `type` that no `expect` is waiting for. */
  on<Type extends Reply['type']>(type: Type, listener: (reply: Extract<Reply, { type: Type }>) => void): void {
    this.listeners.set(type, listener as (reply: Reply) => void);
  }

  /** Sends `request` without waiting. */
  send(request: Request): void {
    if (!this.exited) this.child.send(request);
  }

  /** Sends `request` and resolves with the next reply of `type` (rejects on a `failed` reply or an exit). */
  request<Type extends Reply['type']>(
    request: Request,
    type: Type,
    timeoutMs = 60_000,
  ): Promise<Extract<Reply, { type: Type }>> {
    const reply = this.expect(type, timeoutMs);
    this.send(request);
    return reply;
  }

  /** Resolves with the next reply of `type`. */
  expect<Type extends Reply['type']>(type: Type, timeoutMs = 60_000): Promise<Extract<Reply, { type: Type }>> {
    if (this.exited) return Promise.reject(new Error(`${this.label} has exited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`${this.label}: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter<Reply> = {
        type,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as Extract<Reply, { type: Type }>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  private dispatch(message: Reply | FailedReply): void {
    if (message.type === 'failed') {
      const error = new Error(`${this.label}: ${(message as FailedReply).message}`);
      const waiters = this.waiters.splice(0);
      if (waiters.length === 0) process.stderr.write(`${error.message}\n`);
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    const index = this.waiters.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      waiter?.resolve(message as Reply);
      return;
    }
    this.listeners.get(message.type)?.(message as Reply);
  }

  /** Sends `closeRequest` and waits for the exit (kills the child if it takes longer than 10 s). */
  async stop(closeRequest: Request): Promise<void> {
    if (this.exited) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_GRACE_MS);
    this.send(closeRequest);
    await this.exit;
    clearTimeout(timer);
  }
}

/**
 * The child's side: hands each request to `handle` one at a time, in arrival order, and reports
 * a thrown error as a `failed` reply.
 */
export function serveRequests<Request extends Message>(handle: (request: Request) => Promise<void>): void {
  let queue = Promise.resolve();
  process.on('message', (request: Request) => {
    queue = queue
      .then(() => handle(request))
      .catch((error: unknown) => {
        reply({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      });
  });
}

/** Sends `message` to the parent. */
export function reply<M extends Message>(message: M): void {
  process.send?.(message);
}

/**
 * The workers of one instance and their free slots: never more handlers of a name running than
 * its concurrency, nor more of all names than `instanceConcurrency`. A handler holds its slot until
 * it settles, even after its run was timed out, cancelled or lost.
 */
import { DuplicateWorkerError } from '../errors/duplicate-worker-error.js';
import type { JobHandler, WorkerOptions } from '../job-options.js';

/** A worker's own settings besides its concurrency (the job's own win over these). */
export type WorkerPolicy = Omit<WorkerOptions, 'concurrency'>;

/** A registered worker. */
export interface Worker {
  readonly name: string;
  readonly handler: JobHandler;
  readonly concurrency: number;
  /** The worker's own retry, timeout and dead-letter settings (the job's own win over these). */
  readonly policy: WorkerPolicy;
  running: number;
}

/** How many jobs of one name an instance can take now. */
export interface ClaimRequest {
  name: string;
  limit: number;
}

/** Registered workers by job name. */
export class WorkerRegistry {
  private readonly workers = new Map<string, Worker>();
  private running = 0;
  /** Where the next `freeSlots` starts sharing a limited instance capacity (round robin). */
  private offset = 0;

  /** @param instanceConcurrency - most handlers of all names at once (`Infinity`: no limit) */
  constructor(private readonly instanceConcurrency = Number.POSITIVE_INFINITY) {}

  /** Registers `handler` for `name`. @throws DuplicateWorkerError when `name` has one already */
  register(name: string, handler: JobHandler, concurrency: number, policy: WorkerPolicy = {}): void {
    if (this.workers.has(name)) throw new DuplicateWorkerError(name);
    this.workers.set(name, { name, handler, concurrency, policy, running: 0 });
  }

  /** The worker of `name`, if registered here. */
  get(name: string): Worker | undefined {
    return this.workers.get(name);
  }

  /** A handler of `worker` started: its slot is taken. */
  take(worker: Worker): void {
    worker.running += 1;
    this.running += 1;
  }

  /** A handler of `worker` settled: its slot is free. */
  free(worker: Worker): void {
    worker.running -= 1;
    this.running -= 1;
  }

  /** Whether `name` has a worker with a free slot (and the instance has room). */
  hasFreeSlot(name: string): boolean {
    const worker = this.workers.get(name);
    return worker !== undefined && worker.running < worker.concurrency && this.running < this.instanceConcurrency;
  }

  /** For each worker with free slots: how many jobs it can take now, within the instance's room. */
  freeSlots(): ClaimRequest[] {
    let room = this.instanceConcurrency - this.running;
    const workers = [...this.workers.values()];
    const requests: ClaimRequest[] = [];
    if (room <= 0 || workers.length === 0) return requests;
    this.offset = (this.offset + 1) % workers.length;
    for (let i = 0; i < workers.length && room > 0; i += 1) {
      const worker = workers[(this.offset + i) % workers.length] as Worker;
      const free = Math.min(worker.concurrency - worker.running, room);
      if (free > 0) {
        requests.push({ name: worker.name, limit: free });
        room -= free;
      }
    }
    return requests;
  }

  /**
   * Whether some slots are free but most are taken: then waiting a moment lets more free up, so
   * one claim takes them together instead of several small claims.
   */
  mostlyBusy(): boolean {
    let capacity = 0;
    for (const worker of this.workers.values()) capacity += worker.concurrency;
    capacity = Math.min(capacity, this.instanceConcurrency);
    const free = capacity - this.running;
    return free > 0 && this.running > 0 && free < capacity / 2;
  }

  /** Handlers running now, of all names. */
  get runningCount(): number {
    return this.running;
  }

  /** Number of registered workers. */
  get size(): number {
    return this.workers.size;
  }
}

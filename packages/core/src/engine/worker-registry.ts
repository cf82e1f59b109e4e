/**
 * The workers of one instance and their free slots: never more handlers of a name running than
 * its concurrency.
 */
import { DuplicateWorkerError } from '../errors/duplicate-worker-error.js';
import type { ClaimRequest } from '../store/job-store.js';
import type { JobHandler } from '../types.js';

/** A registered worker. */
export interface Worker {
  readonly name: string;
  readonly handler: JobHandler;
  readonly concurrency: number;
  running: number;
}

/** Registered workers by job name. */
export class WorkerRegistry {
  private readonly workers = new Map<string, Worker>();

  /** Registers `handler` for `name`. @throws DuplicateWorkerError when `name` has one already */
  register(name: string, handler: JobHandler, concurrency: number): void {
    if (this.workers.has(name)) throw new DuplicateWorkerError(name);
    this.workers.set(name, { name, handler, concurrency, running: 0 });
  }

  /** The worker of `name`, if registered here. */
  get(name: string): Worker | undefined {
    return this.workers.get(name);
  }

  /** Whether `name` has a worker with a free slot. */
  hasFreeSlot(name: string): boolean {
    const worker = this.workers.get(name);
    return worker !== undefined && worker.running < worker.concurrency;
  }

  /** For each worker with free slots: how many jobs it can take now. */
  freeSlots(): ClaimRequest[] {
    const requests: ClaimRequest[] = [];
    for (const worker of this.workers.values()) {
      const free = worker.concurrency - worker.running;
      if (free > 0) requests.push({ name: worker.name, limit: free });
    }
    return requests;
  }

  /** Number of registered workers. */
  get size(): number {
    return this.workers.size;
  }
}

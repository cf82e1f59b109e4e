/**
 * What every scenario gets: the database (through a client whose commands are counted), a second
 * client for setup work that must not be counted, and fresh small collections.
 */
import type { Db } from 'mongodb';
import type { CommandCounter } from './command-counter.js';

/** Shared by all scenarios of a run. */
export interface BenchContext {
  /** The database, through the monitored client (the scheduler under test uses this one). */
  readonly db: Db;
  /** The same database through an unmonitored client (pre-enqueueing, cleanup). */
  readonly setupDb: Db;
  readonly counter: CommandCounter;
  /** The server's URI (for the enqueuer process). */
  readonly uri: string;
}

let collections = 0;

/** A collection name not used before in this run. */
export function freshCollection(prefix: string): string {
  collections += 1;
  return `bench_${prefix}_${process.pid}_${collections}`;
}

/**
 * Runs `body` on a fresh collection and empties it afterwards (the embedded backend can neither
 * drop nor cope with big collections).
 */
export async function withFreshCollection<T>(
  context: BenchContext,
  prefix: string,
  body: (collection: string) => Promise<T>,
): Promise<T> {
  const collection = freshCollection(prefix);
  try {
    return await body(collection);
  } finally {
    await context.setupDb.collection(collection).deleteMany({});
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Helpers of the deduplication tests: two instances on one collection, each with a client of its
 * own (through a fault proxy, so a test may also inject faults), the `job:deduplicated` events an
 * instance emitted, and the jobs of one key as stored.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { Db } from 'mongodb';
import type { DeduplicationOutcome, Job, Monque, MonqueOptions } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { jobsOf } from '../helpers/monque.js';

/** Two instances sharing one fresh collection, each reaching the server through its own client. */
export async function twoInstances(db: Db, options: MonqueOptions = {}): Promise<[Monque, Monque]> {
  const collectionName = freshCollectionName(db);
  const [a, b] = await Promise.all([
    faultyMonque(db, collectionName, options),
    faultyMonque(db, collectionName, options),
  ]);
  return [a.monque, b.monque];
}

/** The outcomes of the `job:deduplicated` events `monque` emits from now on, with their jobs. */
export function deduplications(monque: Monque): { outcome: DeduplicationOutcome; job: Job }[] {
  const seen: { outcome: DeduplicationOutcome; job: Job }[] = [];
  monque.on('job:deduplicated', ({ outcome, job }) => seen.push({ outcome, job }));
  return seen;
}

/** The jobs of `name` with `uniqueKey` as stored, oldest first (by createdAt), with their engine fields. */
export async function jobsOfKey(db: Db, monque: Monque, name: string, uniqueKey: string) {
  return (await jobsOf(db, monque).find({ name, uniqueKey }).sort({ createdAt: 1, _id: 1 }).toArray()) as (Job & {
    activeKey?: string;
    enqueueToken?: string;
  })[];
}

/**
 * Production set-up: write concern, readable owners, and optional clean-up of finished jobs.
 */
import { hostname } from 'node:os';
import { Monque } from '@monque/core';
import { type Db, MongoClient } from 'mongodb';

/** A client and scheduler configured for production. */
export async function productionMonque(uri: string): Promise<{ client: MongoClient; monque: Monque }> {
  // #region client
  const client = new MongoClient(uri, {
    writeConcern: { w: 'majority' }, // claims and results survive a primary failover
    retryWrites: true, // the driver's default; retries a write once on a transient error
  });
  await client.connect();
  const monque = new Monque(client.db('my_app'), {
    instanceId: process.env.HOSTNAME ?? hostname(), // e.g. the pod name: shown as `owner`
    lockTimeout: 5 * 60 * 1000, // a dead instance's jobs run again after 5 minutes
    shutdownTimeout: 25_000, // below Kubernetes' default 30 s grace period
  });
  // #endregion client
  return { client, monque };
}

/** Optional TTL indexes that delete finished jobs after a week (Monque itself deletes nothing). */
export async function expireFinishedJobs(db: Db, collectionName = 'monque_jobs'): Promise<void> {
  // #region ttl
  const jobs = db.collection(collectionName);
  const week = 7 * 24 * 60 * 60;
  // Only `completed` jobs: recurring jobs also carry `completedAt` but are never `completed`.
  await jobs.createIndex(
    { completedAt: 1 },
    { name: 'ttl_completed', expireAfterSeconds: week, partialFilterExpression: { status: 'completed' } },
  );
  // `failed` jobs have no failedAt; `updatedAt` is when they failed.
  await jobs.createIndex(
    { updatedAt: 1 },
    { name: 'ttl_failed', expireAfterSeconds: week, partialFilterExpression: { status: 'failed' } },
  );
  // #endregion ttl
}
